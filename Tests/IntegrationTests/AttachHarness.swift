import Foundation

/// A `crashfwd run` process with attachments configured, following one log file and
/// sending to a sandbox on 127.0.0.1.
final class AttachHarness {
    let directory: TemporaryDirectory
    let sandbox: SandboxServer
    private var process: Process?

    /// The only directory attachments may come from.
    var allowedDirectory: String { directory.file("allowed") }
    var logFile: String { directory.file("app.log") }
    var stateDirectory: String { directory.file("state") }
    var daemonLogPath: String { directory.file("crashfwd.log") }
    var daemonLog: String { (try? String(contentsOfFile: daemonLogPath, encoding: .utf8)) ?? "" }

    init(sandbox: SandboxServer? = nil) throws {
        directory = try TemporaryDirectory(prefix: "crashfwd-attach")
        self.sandbox = try sandbox ?? SandboxServer()
        try FileManager.default.createDirectory(
            atPath: allowedDirectory, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: logFile, contents: nil)
    }

    deinit { stop() }

    /// Returns a config whose `segfault` matcher attaches the core named by the
    /// `coredump_filename` capture and a log excerpt. `delivery` replaces the lines of the
    /// `delivery:` section.
    func config(maxFileBytes: String?, delivery: [String]? = nil) -> String {
        let limit = maxFileBytes.map { "\n  max_file_bytes: \($0)" } ?? ""
        let deliveryLines =
            (["startup_delay: 0s"]
            + (delivery ?? ["initial_backoff: 100ms", "maximum_backoff: 500ms"]))
            .map { "  \($0)" }.joined(separator: "\n")
        return """
            state_directory: \(stateDirectory)
            log_level: debug
            watch:
              files:
                - path: \(logFile)
            attach:
              allowed_directories: [\(allowedDirectory)]\(limit)
            delivery:
            \(deliveryLines)
            detect:
              destination: sandbox
              matchers:
                - name: segfault
                  pattern: '(?<program>[\\w.-]+)\\[(?<pid>\\d+)\\]: segfault, core (?<coredump_filename>\\S+)'
                  context_before: 2
                  fields: { kind: segfault, signal: SIGSEGV }
                  attachments:
                    - element: coreDump
                      core: true
                    - element: logs
                      excerpt: true
            destinations:
              sandbox:
                url: \(sandbox.baseURL)
                allow_http: true
                project: acme-beta-2
                source: appcrashlog
                api_key_env: CENTERCODE_API_KEY
                parameters:
                  submitter: qa-bot@example.com
                  summary: "{{program}} crashed ({{kind}})"
            """
    }

    /// Starts crashfwd and waits until it follows the log file.
    func start(maxFileBytes: String? = nil, delivery: [String]? = nil) throws {
        let configPath = directory.file("crashfwd.yaml")
        try Data(config(maxFileBytes: maxFileBytes, delivery: delivery).utf8).write(
            to: URL(fileURLWithPath: configPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("crashfwd"))
        process.arguments = ["run", "--config", configPath]
        var environment = ProcessInfo.processInfo.environment
        environment["CENTERCODE_API_KEY"] = SandboxServer.defaultAPIKey
        environment["JOURNAL_STREAM"] = nil
        process.environment = environment
        FileManager.default.createFile(atPath: daemonLogPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: daemonLogPath))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        try waitUntil("crashfwd to start") { self.daemonLog.contains("crashfwd started") }
    }

    /// Stops crashfwd with SIGTERM and waits for it to exit.
    func stop() {
        guard let process else { return }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }

    var pid: Int32? { process?.processIdentifier }

    func appendLog(_ lines: [String]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        handle.seekToEndOfFile()
        handle.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try handle.close()
    }

    /// Appends two context lines and a segfault line of process `pid` that names `core`.
    func crash(core: String, pid: Int = 42) throws {
        try appendLog([
            "app[\(pid)]: loading scene", "app[\(pid)]: rendering frame 7",
            "app[\(pid)]: segfault, core \(core)",
        ])
    }

    /// Waits until the first ticket has `count` attachments and every report is done.
    func waitForTicket(attachments count: Int, timeout: Double = 30) throws -> SandboxTicket {
        var ticket: SandboxTicket?
        try waitUntil("a ticket with \(count) attachments and a done report", timeout: timeout) {
            ticket = try? self.sandbox.tickets().first
            return ticket?.attachments.count == count && (try? self.reportStates()) == ["done"]
        }
        guard let ticket else { throw TestSupportError("no ticket") }
        return ticket
    }

    /// Returns the `state` of every report file in the queue.
    func reportStates() throws -> [String] {
        try reports().compactMap { $0["state"] as? String }
    }

    func reports() throws -> [[String: Any]] {
        let directory = "\(stateDirectory)/reports"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter {
            $0.hasSuffix(".json")
        }.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
            guard let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TestSupportError("report \(name) is not a JSON object")
            }
            return report
        }
    }

    /// Returns a file the sandbox stored for ticket `id`.
    func storedFile(ticket id: Int, element: String, name: String) -> String {
        "\(sandbox.dataPath)/files/\(id)/\(element)/\(name)"
    }

    func waitUntil(_ what: String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        throw TestSupportError(
            "timed out after \(timeout) s waiting for \(what). crashfwd output:\n\(daemonLog)\nsandbox output:\n\(sandbox.log)"
        )
    }

    /// Writes `size` random bytes to `path`.
    static func writeRandomFile(_ path: String, size: Int) throws {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: size)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Returns the text of a gzip file, decompressed with `gzip -dc`.
    static func gunzip(_ path: String) throws -> Data {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gunzip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let (status, _, errorText) = try HTTPClient.run(
            "/bin/sh", ["-c", "gzip -dc \"$0\" > \"$1\"", path, output.path])
        guard status == 0 else { throw TestSupportError("gzip -dc \(path) failed: \(errorText)") }
        return try Data(contentsOf: output)
    }

    /// Returns the peak resident set size of a process in KiB, from `/proc/PID/status`.
    static func peakResidentKiB(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.flatMap { Int($0.split(separator: " ")[1]) }
    }
}
