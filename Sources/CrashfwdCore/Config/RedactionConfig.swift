/// The `redact:` section: which text is scrubbed from a detection before it is rendered.
///
/// ```yaml
/// redact:
///   defaults: true                 # emails, bearer tokens, key=value secrets, AWS key ids
///   rules:
///     - pattern: 'serial=\w+'
///       replacement: 'serial=[redacted]'
///   allow_coredump_environ: false  # never send the crashed process's environment
/// ```
public struct RedactionConfig: Sendable {
    public var useDefaults = true
    public var rules: [RedactionRule] = []
    public var allowCoredumpEnviron = false
    /// The compiled rules that each detection passes through before it is rendered.
    public var scrubber = Scrubber.standard

    public init() {}

    /// Reads the top-level `redact` section, recording a problem for each invalid rule and
    /// a warning for each template that uses a journal field the scrubber drops.
    static func read(
        _ parent: inout MappingReader, destinations: [String: DestinationConfig],
        problems: ProblemList
    ) -> RedactionConfig {
        let config = readSection(&parent, problems: problems)
        if !config.allowCoredumpEnviron {
            warnAboutDroppedEnviron(destinations, problems: problems)
        }
        return config
    }

    static func readSection(_ parent: inout MappingReader, problems: ProblemList) -> RedactionConfig
    {
        var config = RedactionConfig()
        guard var section = parent.mapping("redact") else { return config }
        defer { section.reportUnknownKeys() }
        config.useDefaults = section.boolean("defaults", default: true)
        config.allowCoredumpEnviron = section.boolean("allow_coredump_environ", default: false)
        var patterns: [SubstitutionPattern] = []
        for (index, node) in (section.list("rules") ?? []).enumerated() {
            let path = "redact.rules[\(index)]"
            guard var reader = MappingReader(node, path: path, problems: problems) else { continue }
            defer { reader.reportUnknownKeys() }
            guard let pattern = reader.string("pattern", required: true) else { continue }
            let rule = RedactionRule(
                pattern: pattern, replacement: reader.string("replacement") ?? "[redacted]")
            do {
                patterns.append(try SubstitutionPattern(rule))
                config.rules.append(rule)
                PatternCheck.warnIfPathological(
                    pattern, node: reader.value("pattern"), key: "\(path).pattern",
                    problems: problems)
            } catch {
                problems.add(reader.value("pattern"), "\(path).pattern", "\(error)")
            }
        }
        let defaults = config.useDefaults ? Scrubber.standard.patterns : []
        config.scrubber = Scrubber(
            patterns: defaults + patterns, allowCoredumpEnviron: config.allowCoredumpEnviron)
        return config
    }

    static func warnAboutDroppedEnviron(
        _ destinations: [String: DestinationConfig], problems: ProblemList
    ) {
        let variable = "journal.\(Scrubber.coredumpEnvironField)"
        for (name, destination) in destinations.sorted(by: { $0.key < $1.key }) {
            for parameter in destination.parameters
            where parameter.template.variables.contains(variable) {
                problems.warn(
                    nil, "destinations.\(name).parameters.\(parameter.name)",
                    "{{\(variable)}} always renders empty because the crashed process's environment is never sent; set redact.allow_coredump_environ: true to send it"
                )
            }
        }
    }
}

/// Input limits of the watch stage.
public enum WatchLimits {
    /// Maximum length of a log line, in bytes, when `watch.max_line_bytes` is not set.
    public static let defaultMaximumLineBytes = 64 << 10
    /// The accepted range of `watch.max_line_bytes`: the tailer holds up to this many bytes
    /// of one line in memory, plus its 64 KiB read buffer.
    public static let maximumLineBytesRange = 1024...(16 << 20)

    /// Reads `watch.max_line_bytes`.
    static func readMaximumLineBytes(_ watch: inout MappingReader?) -> Int {
        watch?.integer(
            "max_line_bytes", default: defaultMaximumLineBytes, range: maximumLineBytesRange)
            ?? defaultMaximumLineBytes
    }
}
