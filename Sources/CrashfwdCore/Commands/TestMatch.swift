#if canImport(Glibc)
    import Glibc
#endif

/// `crashfwd test-match`: scans files and prints the crashes found, sending nothing.
public enum TestMatchCommand {
    static let usage = """
        Usage: crashfwd test-match [--config PATH] [--presets NAMES] [--json] FILE...
               crashfwd test-match [--config PATH] [--presets NAMES] [--json] --journal [FILE.journal...]

        Scans log files (or journal files, or the running boot's journal with --journal and
        no files) with the configured matchers and prints every crash found: its matcher,
        captures, fingerprint and the JSON body that would be posted. Nothing is sent.

        Options:
          --config PATH     Config file whose detect section is used (default:
                            $CRASHFWD_CONFIG or /etc/crashfwd/crashfwd.yaml, unless
                            --presets is given)
          --presets NAMES   Comma-separated presets to use instead of a config, or 'all'
          --json            Print one JSON array of the crashes instead of text
          --journal         Read journal files (or the system journal) instead of log files
          -h, --help        Show this help
        """

    struct Options {
        var configPath: String?
        var presets: [String]?
        var json = false
        var journal = false
        var files: [String] = []
    }

    public static func run(arguments: [String]) -> Int32 {
        let options: Options
        switch parse(arguments) {
        case .success(let parsed): options = parsed
        case .failure(let problem):
            if problem.text.isEmpty {
                Swift.print(usage)
                return 0
            }
            writeError("test-match: \(problem.text)\n\n\(usage)")
            return 2
        }
        do {
            let setup = try TestMatchSetup(options: options)
            // The same scrubbing the daemon applies, so the output shows what would be sent.
            let scrubber = setup.config?.redaction.scrubber ?? Scrubber.standard
            let findings = try scan(options, setup: setup).map { finding in
                TestMatchFinding(
                    detection: scrubber.scrub(finding.detection), file: finding.file,
                    line: finding.line)
            }
            TestMatchOutput(setup: setup, json: options.json).print(findings)
            return 0
        } catch let error as ConfigErrors {
            writeError("test-match: invalid config:\n\(error)")
            return 2
        } catch {
            writeError("test-match: \(error)")
            return 1
        }
    }

    static func parse(_ arguments: [String]) -> Result<Options, UsageErrorMessage> {
        var options = Options()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            switch argument {
            case "-h", "--help": return .failure(UsageErrorMessage(""))
            case "--json": options.json = true
            case "--journal": options.journal = true
            case "--config", "--presets":
                guard index < arguments.count else {
                    return .failure(UsageErrorMessage("\(argument) needs a value"))
                }
                let value = arguments[index]
                index += 1
                if argument == "--config" {
                    options.configPath = value
                } else {
                    options.presets = value.split(separator: ",").map(String.init)
                }
            default:
                if argument.hasPrefix("-") {
                    return .failure(UsageErrorMessage("unknown option '\(argument)'"))
                }
                options.files.append(argument)
            }
        }
        if options.files.isEmpty && !options.journal {
            return .failure(UsageErrorMessage("missing FILE: name at least one log file"))
        }
        return .success(options)
    }

    static func writeError(_ message: String) {
        var bytes = Array((message.hasSuffix("\n") ? message : message + "\n").utf8)
        _ = write(2, &bytes, bytes.count)
    }
}

/// A usage problem, or an empty message for `--help`.
struct UsageErrorMessage: Error {
    var text: String
    init(_ text: String) { self.text = text }
}
