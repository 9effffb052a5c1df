import CrashfwdCore

#if canImport(Glibc)
    import Glibc
#endif

/// Dispatches `crashfwd COMMAND ...` to the command's implementation.
enum CommandLineInterface {
    static let usage = """
        Usage: crashfwd COMMAND [OPTIONS]

        Turns crashes in journald and log files into Centercode feedback tickets.

        Commands:
          run            Follow the configured sources and deliver tickets (foreground)
          check-config   Validate a config file and list every problem found
          test-match     Scan files and print the crashes found, sending nothing
          queue          List, show, retry or drop queued reports
          send-test      Create one clearly labelled test ticket
          status         Show the running daemon's state, queue and last error
          version        Print the version

        Benchmark commands (used by bench/):
          journal-scan   Read journal files with the journal matchers and count entries
          upload-bench   Upload one file to a loopback sandbox and report the rate

        Started by 'crashfwd run':
          http-worker    Send the daemon's HTTP requests from a child process

        Common options:
          --config PATH      Config file (default: $CRASHFWD_CONFIG or /etc/crashfwd/crashfwd.yaml)
          --log-level LEVEL  debug, info, notice, warning or error (overrides log_level)
          -h, --help         Show help for a command

        Run 'crashfwd COMMAND --help' for the options of one command.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else {
            printError(usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "run": return RunCommand.run(rest)
        case "check-config": return CheckConfigCommand.run(rest)
        case "test-match": return TestMatchCommand.run(arguments: rest)
        case "journal-scan": return JournalScanCommand.run(rest)
        case "queue": return QueueCommand.run(rest)
        case "send-test": return SendTestCommand.run(rest)
        case "status": return StatusCommand.run(rest)
        case "upload-bench": return UploadBenchCommand.run(rest)
        case "http-worker": return HTTPWorkerCommand.run(rest)
        case "version", "--version": print("crashfwd \(CrashfwdVersion.string)"); return 0
        case "help", "-h", "--help": print(usage); return 0
        default:
            printError("crashfwd: unknown command '\(command)'\n\n\(usage)")
            return 2
        }
    }
}

/// Writes a message and a newline to stderr.
func printError(_ message: String) {
    var text = message
    if !text.hasSuffix("\n") { text += "\n" }
    var bytes = Array(text.utf8)
    _ = write(2, &bytes, bytes.count)
}

/// Options shared by the commands, parsed by hand: the toolchain's argument parser package
/// cannot be fetched here, and the grammar is small.
struct Options {
    var configPath: String
    var logLevel: LogLevel?
    var json = false
    var flags: Set<String> = []
    var positional: [String] = []

    static let defaultConfigPath = "/etc/crashfwd/crashfwd.yaml"

    /// Parses `--config`, `--log-level`, `--json`, the listed boolean flags and positional
    /// arguments. Returns nil after printing the error.
    static func parse(
        _ arguments: [String], command: String, flags allowed: Set<String> = [], help: String
    ) -> Options? {
        var options = Options(
            configPath: Config.currentEnvironment()["CRASHFWD_CONFIG"] ?? defaultConfigPath)
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "-h", "--help":
                print(help)
                exit(0)
            case "--config", "--log-level":
                guard index + 1 < arguments.count else {
                    printError("crashfwd \(command): \(argument) needs a value")
                    return nil
                }
                let value = arguments[index + 1]
                if argument == "--config" {
                    options.configPath = value
                } else {
                    guard let level = LogLevel(name: value) else {
                        printError(
                            "crashfwd \(command): invalid log level '\(value)'; use debug, info, notice, warning or error"
                        )
                        return nil
                    }
                    options.logLevel = level
                }
                index += 1
            case "--json":
                options.json = true
            default:
                if allowed.contains(argument) {
                    options.flags.insert(argument)
                } else if argument.hasPrefix("--") {
                    printError("crashfwd \(command): unknown option '\(argument)'\n\n\(help)")
                    return nil
                } else {
                    options.positional.append(argument)
                }
            }
            index += 1
        }
        return options
    }

    /// Loads the config, printing every problem on failure.
    func loadConfig(command: String) -> Config? {
        do {
            return try Config.load(path: configPath)
        } catch let errors as ConfigErrors {
            printError(
                "crashfwd \(command): the config has \(errors.problems.filter { $0.severity == .error }.count) problem(s):\n\(errors)"
            )
        } catch {
            printError("crashfwd \(command): cannot load config: \(error)")
        }
        return nil
    }
}
