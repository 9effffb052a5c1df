import Foundation

/// A `crashfwd run` process for the service tests, with its config, log file and state
/// in a temporary directory. Its stderr goes to `logPath`.
final class ServiceDaemon {
    let directory: TemporaryDirectory
    let configPath: String
    let appLog: String
    let logPath: String
    let process = Process()

    var stateDirectory: String { directory.file("state") }
    var statusPath: String { directory.file("state/status.json") }
    var metricsPath: String { directory.file("crashfwd.prom") }

    /// Writes the config with `writeConfig(url:matchers:)` and starts the daemon.
    init(
        url: String = "http://127.0.0.1:9", matchers: [String] = ["segfault"],
        environment: [String: String] = [:]
    )
        throws
    {
        directory = try TemporaryDirectory(prefix: "crashfwd-service")
        configPath = directory.file("crashfwd.yaml")
        appLog = directory.file("app.log")
        logPath = directory.file("crashfwd.log")
        FileManager.default.createFile(atPath: appLog, contents: nil)
        try writeConfig(url: url, matchers: matchers)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Binaries.path("crashfwd"))
        process.arguments = ["run", "--config", configPath, "--log-level", "debug"]
        var variables = ProcessInfo.processInfo.environment
        for name in [
            "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "LISTEN_FDS",
        ] {
            variables[name] = nil
        }
        variables.merge(environment) { $1 }
        variables["CENTERCODE_API_KEY"] = SandboxServer.defaultAPIKey
        process.environment = variables
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static let patterns = [
        "segfault": #"(?<program>[\w.-]+)\[(?<pid>\d+)\]: segfault at"#,
        "abort": #"(?<program>[\w.-]+)\[(?<pid>\d+)\]: double free or corruption"#,
    ]

    /// Writes a config that follows `appLog` with the named matchers and delivers to `url`.
    func writeConfig(url: String, matchers: [String]) throws {
        var text = """
            state_directory: \(stateDirectory)
            watch:
              files:
                - path: \(appLog)
                  start_at: beginning
            detect:
              destination: sandbox
              matchers:

            """
        for name in matchers {
            text +=
                "    - name: \(name)\n      pattern: '\(ServiceDaemon.patterns[name] ?? name)'\n"
        }
        text += """
            destinations:
              sandbox:
                url: \(url)
                allow_http: true
                project: acme-beta-2
                source: appcrashlog
                api_key_env: CENTERCODE_API_KEY
                timeout: 20s
                parameters:
                  submitter: qa-bot@example.com
                  summary: "{{program}} crashed"
            delivery:
              startup_delay: 0s
              initial_backoff: 30s
            service:
              metrics_file: \(metricsPath)

            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    func append(_ line: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: appLog))
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
        try handle.close()
    }

    /// Sends a signal to the daemon; PID 0 would signal the test runner's process group.
    func signal(_ number: Int32) {
        guard process.processIdentifier > 0 else { return }
        kill(process.processIdentifier, number)
    }

    /// Sends SIGTERM and waits up to `timeout` seconds; returns the exit status or nil.
    func stop(timeout: Double = 30) -> Int32? {
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Returns the status file as a JSON object, or nil while it does not exist.
    func status() -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: statusPath) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// Returns the decoded report files of the queue.
    func reports() -> [[String: Any]] {
        let directory = "\(stateDirectory)/reports"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.compactMap { name in
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else {
                return nil
            }
            return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        }
    }
}

/// Polls `condition` every 20 ms for up to `timeout` seconds.
func waitUntil(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// A datagram socket bound to a path, standing in for systemd's `NOTIFY_SOCKET`.
final class NotifySocket {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket failed: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw TestSupportError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw TestSupportError("bind \(path) failed: errno \(errno)") }
    }

    deinit { close(descriptor) }

    /// Returns every message received within `seconds`.
    func receive(for seconds: Double) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            let milliseconds = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&descriptors, 1, milliseconds) > 0 else { continue }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { messages.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
        }
        return messages
    }
}

/// Returns the repository root: the nearest parent of the test binary with a Package.swift.
func repositoryRoot() -> String {
    var url = URL(fileURLWithPath: Binaries.path("crashfwd"))
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            return url.path
        }
    }
    return FileManager.default.currentDirectoryPath
}

/// Runs a program and returns its exit status and combined output.
func runProgram(_ path: String, _ arguments: [String], directory: String? = nil) throws -> (
    status: Int32, output: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
