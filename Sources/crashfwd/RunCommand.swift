import CrashfwdCore

enum RunCommand {
    static let help = """
        Usage: crashfwd run [--config PATH] [--log-level LEVEL]

        Follows the configured journal and log files in the foreground, queues every crash
        found in the state directory and delivers it to Centercode. SIGHUP reloads the
        config (an invalid one is rejected and the running one kept). Stops on SIGTERM or
        SIGINT after saving its positions; nothing queued is lost. This is what the
        systemd service runs.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = Options.parse(arguments, command: "run", help: help),
            let config = options.loadConfig(command: "run")
        else { return 2 }
        Log.configure(level: options.logLevel ?? config.logLevel)
        for warning in config.warnings {
            Log.warning("config warning", ["PROBLEM": warning.description])
        }
        do {
            // /proc/self/exe is this binary even after a package upgrade replaced the file,
            // so the worker always speaks the same protocol.
            let daemon = try Daemon(config: config, httpWorker: "/proc/self/exe")
            daemon.logLevelOverride = options.logLevel
            return try daemon.run()
        } catch {
            Log.error("crashfwd cannot start", ["ERROR": "\(error)"])
            return 1
        }
    }
}

enum CheckConfigCommand {
    static let help = """
        Usage: crashfwd check-config [--config PATH]

        Validates a config without running: YAML syntax, keys, regular expressions,
        template variables, parameter options and the API key source. Prints every
        problem with its file, line, column and key, and exits 1 if there is any error.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = Options.parse(arguments, command: "check-config", help: help) else {
            return 2
        }
        do {
            let config = try Config.load(path: options.configPath)
            for warning in config.warnings { print(warning.description) }
            print(
                "\(options.configPath): OK (\(config.destinations.count) destination(s), \(config.matchers.count) matcher(s), \(config.files.count) file source(s))"
            )
            return 0
        } catch let errors as ConfigErrors {
            for problem in errors.problems { print(problem.description) }
            let count = errors.problems.filter { $0.severity == .error }.count
            printError("\(options.configPath): \(count) error(s)")
            return 1
        } catch {
            printError("\(options.configPath): \(error)")
            return 1
        }
    }
}
