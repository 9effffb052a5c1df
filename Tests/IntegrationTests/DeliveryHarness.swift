import Foundation

/// A `crashfwd run` process started by a test: a generated config, a watched log file and
/// a state directory that survive restarts, so a test can kill and start it again.
final class CrashfwdDaemon {
    let directory: TemporaryDirectory
    let logFile: String
    let stateDirectory: String
    let configPath: String
    let outputPath: String
    var apiKey: String
    private(set) var process: Process?

    /// Writes the config. `delivery` adds or overrides keys of the `delivery:` section.
    init(
        sandbox: SandboxServer, stateDirectory: String? = nil,
        apiKey: String = SandboxServer.defaultAPIKey, submitter: String = "qa-bot@example.com",
        timeout: String = "5s", delivery: [String: String] = [:]
    ) throws {
        directory = try TemporaryDirectory(prefix: "crashfwd-delivery")
        logFile = directory.file("app.log")
        self.stateDirectory = stateDirectory ?? directory.file("state")
        configPath = directory.file("crashfwd.yaml")
        outputPath = directory.file("crashfwd.out")
        self.apiKey = apiKey
        FileManager.default.createFile(atPath: logFile, contents: nil)
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let config = CrashfwdDaemon.config(
            port: sandbox.port, logFile: logFile, stateDirectory: self.stateDirectory,
            submitter: submitter, timeout: timeout, delivery: delivery)
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    deinit { stop() }

    static let deliveryDefaults = [
        "startup_delay": "0", "initial_backoff": "50ms", "maximum_backoff": "1s",
        "rate_limit": "0", "recheck_interval": "1h",
    ]

    static func config(
        port: Int, logFile: String, stateDirectory: String, submitter: String, timeout: String,
        delivery: [String: String]
    ) -> String {
        let settings = deliveryDefaults.merging(delivery) { $1 }
        let deliveryLines = settings.keys.sorted().map { "  \($0): \"\(settings[$0] ?? "")\"" }
        return """
            state_directory: \(stateDirectory)
            log_level: debug
            watch:
              files:
                - path: \(logFile)
                  start_at: beginning
            detect:
              destination: sandbox
              matchers:
                - name: segfault
                  pattern: '(?<program>[\\w.-]+)\\[(?<pid>\\d+)\\]: segfault at'
                  fields: { kind: segfault }
            destinations:
              sandbox:
                url: http://127.0.0.1:\(port)
                allow_http: true
                project: acme-beta-2
                source: appcrashlog
                api_key_env: CENTERCODE_API_KEY
                timeout: \(timeout)
                parameters:
                  submitter: \(submitter)
                  summary: "{{program}} crashed, pid {{pid}}"
            delivery:
            \(deliveryLines.joined(separator: "\n"))

            """
    }

    /// Starts `crashfwd run`; its stderr is appended to `outputPath`.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("crashfwd"))
        process.arguments = ["run", "--config", configPath]
        var environment = ProcessInfo.processInfo.environment
        environment["CENTERCODE_API_KEY"] = apiKey
        environment.removeValue(forKey: "JOURNAL_STREAM")
        process.environment = environment
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// Kills the daemon with SIGKILL and waits for it to exit.
    func kill9() {
        guard let process else { return }
        self.process = nil
        if process.isRunning && process.processIdentifier > 0 {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// Stops the daemon with SIGTERM, then SIGKILL after 10 seconds.
    func stop() {
        guard let process else { return }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var isRunning: Bool { process?.isRunning ?? false }

    /// Appends one crash line whose pid is `pid`; the pid identifies the ticket.
    func appendCrash(pid: Int) throws {
        try appendLines(["app[\(pid)]: segfault at 0 ip 0 sp 0 error 4 in app"])
    }

    func appendLines(_ lines: [String]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// The daemon's log so far, across restarts.
    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// Log lines that contain every one of `parts`.
    func logLines(containing parts: String...) -> [String] {
        output.split(separator: "\n").map(String.init).filter { line in
            parts.allSatisfy { line.contains($0) }
        }
    }

    /// The value of `FIELD=value` in a log line.
    static func field(_ name: String, in line: String) -> String? {
        guard let range = line.range(of: " \(name)=") else { return nil }
        let rest = line[range.upperBound...]
        if rest.hasPrefix("\"") {
            return rest.dropFirst().split(separator: "\"", maxSplits: 1).first.map(String.init)
        }
        return rest.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    /// Runs `crashfwd queue ARGUMENTS --config CONFIG` and returns status, stdout, stderr.
    func queue(_ arguments: [String]) throws -> (Int32, String, String) {
        var environment = ProcessInfo.processInfo.environment
        environment["CENTERCODE_API_KEY"] = apiKey
        return try HTTPClient.run(
            Binaries.path("crashfwd"), ["queue"] + arguments + ["--config", configPath],
            environment: environment)
    }

    /// The rows of `crashfwd queue list --json`.
    func queueRows() throws -> [[String: Any]] {
        let (status, output, errors) = try queue(["list", "--json"])
        guard status == 0 else { throw TestSupportError("queue list failed: \(errors)") }
        let rows = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]
        return rows ?? []
    }

    /// Report ids by state, from `crashfwd queue list --json`.
    func states() throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for row in try queueRows() {
            result[row["state"] as? String ?? "?", default: []].append(row["id"] as? String ?? "")
        }
        return result
    }
}

extension SandboxServer {
    /// The pids named in ticket summaries ("app crashed, pid N"), one entry per ticket.
    func ticketPids() throws -> [Int] {
        try tickets().compactMap { ticket in
            ticket.parameter("summary")?.split(separator: " ").last.flatMap { Int($0) }
        }
    }

    /// Returns the create requests the sandbox responded to with `status`.
    func createRequests(status: Int? = nil) throws -> [SandboxRequest] {
        try requests().filter {
            $0.method == "POST" && $0.path.contains("/feedback/")
                && (status == nil || $0.status == status)
        }
    }
}

/// Polls `condition` every 50 ms until it is true or `seconds` pass, and returns its last value.
func pollUntil(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}
