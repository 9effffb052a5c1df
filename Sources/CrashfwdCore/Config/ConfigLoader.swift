#if canImport(Glibc)
    import Glibc
#endif

extension Config {
    /// Loads and checks a config file.
    ///
    /// - Throws: `ConfigErrors` with every problem found, each with its line, column and key.
    ///   Warnings do not throw; they are returned in `warnings`.
    public static func load(path: String, environment: [String: String] = currentEnvironment())
        throws -> Config
    {
        let problems = ProblemList(file: path)
        let text: String
        do {
            guard let contents = try FileIO.readText(path) else {
                throw ConfigErrors(problems: [
                    ConfigProblem(
                        file: path, line: 0, column: 0, key: "",
                        message:
                            "config file not found; pass --config PATH or create it from config/crashfwd.yaml"
                    )
                ])
            }
            text = contents
        } catch let error as SystemError {
            throw ConfigErrors(problems: [
                ConfigProblem(
                    file: path, line: 0, column: 0, key: "", message: "cannot read config: \(error)"
                )
            ])
        }
        return try parse(text, file: path, environment: environment, problems: problems)
    }

    /// Parses config text; `file` is only used in messages and for relative paths.
    public static func parse(
        _ text: String, file: String, environment: [String: String] = [:]
    ) throws -> Config {
        try parse(text, file: file, environment: environment, problems: ProblemList(file: file))
    }

    static func parse(
        _ text: String, file: String, environment: [String: String], problems: ProblemList
    ) throws -> Config {
        let root: YAMLNode
        do {
            guard let parsed = try YAMLParser.parse(text, file: file) else {
                throw ConfigErrors(problems: [
                    ConfigProblem(
                        file: file, line: 1, column: 1, key: "", message: "config file is empty")
                ])
            }
            root = parsed
        } catch let error as YAMLSyntaxError {
            throw ConfigErrors(problems: [
                ConfigProblem(
                    file: file, line: error.line, column: error.column, key: "",
                    message: "invalid YAML: \(error.problem)")
            ])
        }
        guard var reader = MappingReader(root, path: "", problems: problems) else {
            throw ConfigErrors(problems: problems.problems)
        }
        let config = read(&reader, file: file, environment: environment)
        reader.reportUnknownKeys()
        if !problems.errors.isEmpty { throw ConfigErrors(problems: problems.problems) }
        var result = config
        result.warnings = problems.warnings
        return result
    }

    static func read(_ reader: inout MappingReader, file: String, environment: [String: String])
        -> Config
    {
        let problems = reader.problems
        let stateDirectory =
            reader.string("state_directory") ?? environment["STATE_DIRECTORY"]
            ?? "/var/lib/crashfwd"
        if !stateDirectory.hasPrefix("/") {
            problems.add(
                reader.value("state_directory") ?? reader.node, "state_directory",
                "'\(stateDirectory)' is relative, so the daemon and 'crashfwd queue' would use different folders depending on where they start; use an absolute path"
            )
        }
        let levelName = reader.string("log_level") ?? "info"
        let level = LogLevel(name: levelName)
        if level == nil, let node = reader.value("log_level") {
            problems.add(
                node, "log_level",
                "invalid level '\(levelName)': use debug, info, notice, warning or error")
        }

        var destinations: [String: DestinationConfig] = [:]
        if var section = reader.mapping("destinations") {
            for name in section.keys {
                guard let node = section.value(name) else { continue }
                let context = DestinationReader(
                    file: file, environment: environment, problems: problems)
                if let destination = context.read(node, name: name) {
                    destinations[name] = destination
                }
            }
        }
        if destinations.isEmpty {
            problems.add(
                reader.node, "destinations", "missing; name at least one Centercode External Source"
            )
        }

        var files: [FileSourceConfig] = []
        var watch = reader.mapping("watch")
        for (index, node) in (watch?.list("files") ?? []).enumerated() {
            if let source = readFileSource(node, path: "watch.files[\(index)]", problems: problems)
            {
                files.append(source)
            }
        }
        var journal: JournalConfig?
        if var section = watch?.mapping("journal") {
            journal = JournalConfig.read(&section)
            section.reportUnknownKeys()
        }
        let maximumLineBytes = WatchLimits.readMaximumLineBytes(&watch)
        watch?.reportUnknownKeys()

        var detect = reader.mapping("detect")
        let (matchers, folding) = DetectSectionReader(
            destinations: destinations, problems: problems
        )
        .read(&detect)
        detect?.reportUnknownKeys()

        var delivery = DeliveryConfig()
        if var section = reader.mapping("delivery") {
            delivery = readDelivery(&section)
            section.reportUnknownKeys()
        }

        var config = Config(
            file: file, stateDirectory: stateDirectory, logLevel: level ?? .info, files: files,
            journal: journal, matchers: matchers, destinations: destinations, delivery: delivery,
            warnings: [],
            serviceSection: ServiceConfig.read(&reader, stateDirectory: stateDirectory),
            attach: AttachConfig.read(&reader, matchers: matchers, problems: problems),
            folding: folding)
        config.redaction = RedactionConfig.read(
            &reader, destinations: destinations, problems: problems)
        config.maximumLineBytes = maximumLineBytes
        TemplateChecker(config: config, problems: problems).check()
        return config
    }

    /// Reads the `delivery:` section; absent keys keep the `DeliveryConfig` defaults.
    static func readDelivery(_ section: inout MappingReader) -> DeliveryConfig {
        let defaults = DeliveryConfig()
        var delivery = defaults
        delivery.initialBackoff = section.seconds(
            "initial_backoff", default: defaults.initialBackoff, minimum: 0.01)
        delivery.maximumBackoff = section.seconds(
            "maximum_backoff", default: defaults.maximumBackoff, minimum: 0.01)
        if delivery.maximumBackoff < delivery.initialBackoff,
            let node = section.value("maximum_backoff")
        {
            section.problems.add(
                node, "delivery.maximum_backoff", "must be at least initial_backoff")
        }
        delivery.startupDelay = section.seconds("startup_delay", default: defaults.startupDelay)
        delivery.maximumInFlight = section.integer(
            "max_in_flight", default: defaults.maximumInFlight, range: 1...8)
        delivery.rateLimit = section.number(
            "rate_limit", default: defaults.rateLimit, range: 0...1000)
        delivery.overloadInterval = section.seconds(
            "overload_interval", default: defaults.overloadInterval, minimum: 0.01)
        delivery.recheckInterval = section.seconds(
            "recheck_interval", default: defaults.recheckInterval, minimum: 0.1)
        delivery.httpWorkerIdleTimeout = section.seconds(
            "http_worker_idle_timeout", default: defaults.httpWorkerIdleTimeout)
        readLimits(&section, into: &delivery.limits)
        return delivery
    }

    static func readLimits(_ section: inout MappingReader, into limits: inout QueueLimits) {
        let defaults = QueueLimits()
        limits.maximumReports = section.integer(
            "max_reports", default: defaults.maximumReports, range: 1...10_000_000)
        let bytes = AttachConfig.readSize(
            &section, "max_bytes", default: UInt64(defaults.maximumBytes),
            range: (1 << 16)...(1 << 50), problems: section.problems)
        limits.maximumBytes = Int(bytes)
        limits.maximumAge = section.seconds(
            "max_age", default: defaults.maximumAge, minimum: 60)
        limits.deadRetention = section.seconds(
            "dead_retention", default: defaults.deadRetention, minimum: 60)
    }

    static func readFileSource(_ node: YAMLNode, path: String, problems: ProblemList)
        -> FileSourceConfig?
    {
        if case .scalar(let text, _) = node.value {
            return FileSourceConfig(path: text, startAt: .end)
        }
        guard var reader = MappingReader(node, path: path, problems: problems) else { return nil }
        defer { reader.reportUnknownKeys() }
        guard let filePath = reader.string("path", required: true) else { return nil }
        if !filePath.hasPrefix("/") {
            problems.add(node, "\(path).path", "'\(filePath)' is relative; use an absolute path")
        }
        var info = stat()
        if !Glob(filePath).hasWildcards, stat(filePath, &info) == 0,
            info.st_mode & S_IFMT == S_IFDIR
        {
            problems.add(
                node, "\(path).path",
                "'\(filePath)' is a directory; name the files in it with a glob such as '\(filePath)/*.log'"
            )
        }
        let startName = reader.string("start_at") ?? "end"
        guard let start = FileSourceConfig.StartPosition(rawValue: startName) else {
            problems.add(
                reader.value("start_at"), "\(path).start_at",
                "invalid value '\(startName)': use end or beginning")
            return nil
        }
        return FileSourceConfig(path: filePath, startAt: start)
    }

    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
