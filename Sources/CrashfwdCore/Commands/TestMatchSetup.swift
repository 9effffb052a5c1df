#if canImport(Glibc)
    import Glibc
#endif

/// The matchers, renderers and detector of one `test-match` run.
struct TestMatchSetup {
    let config: Config?
    let matchers: [MatcherConfig]
    let renderers: [String: ReportRenderer]

    /// Uses `--presets` when given, else the config's `detect` section.
    init(options: TestMatchCommand.Options) throws {
        if let presets = options.presets {
            let (matchers, unknown) = Presets.matchers(named: presets, destination: "")
            if let name = unknown.first {
                throw TestMatchError(
                    "unknown preset '\(name)'; known: all, \(Presets.names.joined(separator: ", "))"
                )
            }
            self.matchers = matchers
            self.config = nil
            self.renderers = [:]
            return
        }
        let path =
            options.configPath ?? Config.currentEnvironment()["CRASHFWD_CONFIG"]
            ?? "/etc/crashfwd/crashfwd.yaml"
        let config = try Config.load(path: path)
        if config.matchers.isEmpty {
            throw TestMatchError("\(path) has no matchers; add detect.matchers or detect.presets")
        }
        self.config = config
        self.matchers = config.matchers
        let device = DeviceFacts.current()
        self.renderers = config.destinations.mapValues {
            ReportRenderer(destination: $0, device: device)
        }
    }
}

struct TestMatchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One crash found by `test-match`, with where it was found.
struct TestMatchFinding {
    var detection: Detection
    var file: String
    /// The 1-based line number of the block's first line; nil for journal entries.
    var line: Int?
}

extension TestMatchCommand {
    static func scan(_ options: Options, setup: TestMatchSetup) throws -> [TestMatchFinding] {
        let detector = try Detector(matchers: setup.matchers)
        if options.journal {
            return try scanJournal(options.files, detector: detector, config: setup.config)
        }
        let scanner = FileScanner(detector: detector)
        let showProgress = isatty(2) == 1 && !options.json
        var findings: [TestMatchFinding] = []
        for file in options.files {
            let start = monotonicSeconds()
            let result = try scanner.scan(path: file) { done, total in
                if showProgress { writeProgress(file, done: done, total: total) }
            }
            let seconds = monotonicSeconds() - start
            for detection in result.detections {
                findings.append(
                    TestMatchFinding(
                        detection: detection, file: file,
                        line: result.lineNumbers[detection.firstRecordID]))
            }
            writeSummary(file, result: result, seconds: seconds, clearProgress: showProgress)
        }
        for event in detector.takeMatchLimitEvents() {
            writeError(
                "warning: matcher '\(event.matcher)' hit the PCRE2 match limit on \(event.count) line(s); those lines were treated as not matching"
            )
        }
        return findings
    }

    static func scanJournal(_ files: [String], detector: Detector, config: Config?) throws
        -> [TestMatchFinding]
    {
        var journalConfig = config?.journal ?? JournalConfig()
        journalConfig.location = files.isEmpty ? .system : .files(files)
        journalConfig.startAt = .boot
        let reader = try JournalReader(location: journalConfig.location)
        defer { reader.close() }
        let source = try JournalSource(reader: reader, config: journalConfig)
        if files.isEmpty { try reader.seekCurrentBootStart() } else { try reader.seekHead() }
        var detections: [Detection] = []
        while true {
            let batch = try source.read(limit: 1000)
            for record in batch {
                let now = Double(record.timestamp) / 1_000_000
                detections += detector.flushExpired(now: now)
                detections += detector.process(record, now: now)
            }
            if batch.count < 1000 { break }
        }
        detections += detector.flushAll()
        return detections.map { TestMatchFinding(detection: $0, file: "journal", line: nil) }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func writeProgress(_ file: String, done: Int, total: Int) {
        let percent = total > 0 ? done * 100 / total : 100
        writeError("\r\(file): \(done >> 20) of \(total >> 20) MiB (\(percent)%)", newline: false)
    }

    static func writeSummary(
        _ file: String, result: FileScanner.Result, seconds: Double, clearProgress: Bool
    ) {
        let megabytes = Double(result.bytes) / 1_000_000
        let rate = seconds > 0 ? megabytes / seconds : 0
        let clear = clearProgress ? "\r\u{1B}[K" : ""
        writeError(
            "\(clear)\(file): \(result.detections.count) crash(es) in \(result.lines) lines,"
                + " \(formatted(megabytes)) MB in \(formatted(seconds)) s (\(formatted(rate)) MB/s)"
        )
    }

    static func formatted(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func writeError(_ message: String, newline: Bool) {
        var bytes = Array((newline ? message + "\n" : message).utf8)
        _ = write(2, &bytes, bytes.count)
    }
}
