import Foundation

/// A `crashfwd run` process with its own config, state directory and log file.
///
/// `config(sandbox:...)` writes a YAML config that follows `app.log` in the test directory
/// and delivers to the sandbox. The process is stopped with SIGTERM (or SIGKILL in
/// `kill()`) by PID, never by name.
final class CrashfwdProcess {
    let directory: TemporaryDirectory
    let configPath: String
    let logFile: String
    let stateDirectory: String
    var environment: [String: String]
    /// The binary `start()` runs; nil runs the one built with the tests.
    var executable: String?
    private var process: Process?
    private var runs = 0

    /// The file the default config follows.
    var watchedFile: String { directory.file("app.log") }

    init(
        config: String, directory: TemporaryDirectory? = nil,
        apiKey: String = SandboxServer.defaultAPIKey
    ) throws {
        self.directory = try directory ?? TemporaryDirectory(prefix: "crashfwd")
        configPath = self.directory.file("crashfwd.yaml")
        logFile = self.directory.file("crashfwd.log")
        stateDirectory = self.directory.file("state")
        environment = ["CENTERCODE_API_KEY": apiKey, "PATH": "/usr/bin:/bin"]
        try writeConfig(config)
        if !FileManager.default.fileExists(atPath: watchedFile) {
            FileManager.default.createFile(atPath: watchedFile, contents: nil)
        }
    }

    deinit { stop() }

    func writeConfig(_ config: String) throws {
        let text = config.replacingOccurrences(of: "TEST_DIR", with: directory.path)
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    /// Starts `crashfwd run`; its stderr is appended to `logFile`.
    func start(arguments: [String] = []) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? Binaries.path("crashfwd"))
        process.arguments = ["run", "--config", configPath] + arguments
        process.environment = environment
        if !FileManager.default.fileExists(atPath: logFile) {
            FileManager.default.createFile(atPath: logFile, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        self.process = process
        runs += 1
        try waitUntil("crashfwd run #\(runs) starts", timeout: 15) {
            log.components(separatedBy: "crashfwd started").count > runs || !process.isRunning
        }
        guard process.isRunning else {
            throw TestSupportError("crashfwd exited with \(process.terminationStatus):\n\(log)")
        }
    }

    var isRunning: Bool { process?.isRunning ?? false }
    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Stops with SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard let process else { return 0 }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Kills with SIGKILL, as a power loss would end it.
    func kill9() {
        guard let process else { return }
        self.process = nil
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var log: String {
        (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    }

    /// Appends lines to the watched file (or another file), each ending in a newline.
    func append(_ lines: [String], to path: String? = nil) throws {
        let target = path ?? watchedFile
        if !FileManager.default.fileExists(atPath: target) {
            FileManager.default.createFile(atPath: target, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }

    /// Runs a crashfwd command (such as `queue list`) with this config and returns its
    /// exit status and output.
    func command(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("crashfwd"))
        process.arguments = arguments + ["--config", configPath]
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Returns a config that follows `TEST_DIR/app.log` from its start and sends to `sandbox`, with
    /// the given matchers (YAML list items, indented by four spaces) and short retry delays.
    static func config(
        sandbox: SandboxServer, matchers: String = CrashfwdProcess.segfaultMatcher,
        extra: String = ""
    ) -> String {
        """
        state_directory: TEST_DIR/state
        log_level: debug
        watch:
          files:
            - path: TEST_DIR/app.log
              start_at: beginning
        detect:
          destination: sandbox
          matchers:
        \(matchers)
        delivery:
          startup_delay: 0s
          initial_backoff: 50ms
          maximum_backoff: 500ms
        destinations:
          sandbox:
            url: \(sandbox.baseURL)
            allow_http: true
            project: acme-beta-2
            source: appcrashlog
            api_key_env: CENTERCODE_API_KEY
            parameters:
              submitter: qa-bot@example.com
              summary: "{{program}} crashed with {{signal}}"
              description: "{{context}}"
              severity:
                template: "{{signal}}"
                type: single_choice
                options: [Critical, High, Medium, Low]
                map: { SIGSEGV: Critical }
                fallback: Medium
        \(extra)
        """
    }

    static let segfaultMatcher = """
            - name: segfault
              pattern: '(?<program>[\\w.-]+)\\[(?<pid>\\d+)\\]: segfault at'
              fields: { signal: SIGSEGV }
        """

    /// Returns a kernel segfault line whose pid identifies the crash in assertions.
    static func segfaultLine(program: String = "camera-daemon", pid: Int) -> String {
        "Dec  4 10:00:02 rig01 kernel: \(program)[\(pid)]: segfault at 0 ip 000055d0c0de1234 sp 00007ffd5ac0ffee error 4 in \(program)[55d0c0d00000+20000]"
    }
}

/// Polls `condition` every 50 ms until it is true or `timeout` seconds pass.
func waitUntil(_ what: String, timeout: Double = 30, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        usleep(50_000)
    }
    if try condition() { return }
    throw TestSupportError("timed out after \(timeout) s waiting until \(what)")
}
