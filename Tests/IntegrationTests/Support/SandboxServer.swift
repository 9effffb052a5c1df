import Foundation

/// A running `centercode-sandbox` process on 127.0.0.1, with helpers to inspect it.
///
/// The server picks a free port, and `restart()` brings it back on the same port with the
/// same data directory, so a client sees an outage rather than a new server.
final class SandboxServer {
    let directory: TemporaryDirectory
    let configPath: String
    let dataPath: String
    let logPath: String
    let extraArguments: [String]
    private(set) var port = 0
    private var process: Process?

    /// `http`, or `https` when `extraArguments` passes `--tls-cert`.
    var scheme: String { extraArguments.contains("--tls-cert") ? "https" : "http" }

    var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    /// Writes `config` (JSON text) and starts the sandbox; `data` defaults to a fresh
    /// directory. Throws when the server does not report its port within 10 seconds.
    init(
        config: String = SandboxServer.defaultConfig(), data: String? = nil,
        extraArguments: [String] = []
    ) throws {
        directory = try TemporaryDirectory(prefix: "centercode-sandbox")
        configPath = directory.file("sandbox.json")
        dataPath = data ?? directory.file("data")
        logPath = directory.file("sandbox.log")
        self.extraArguments = extraArguments
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        try start(port: 0)
    }

    deinit { stop() }

    /// URL of the create-ticket endpoint; pass other values to test rejections.
    func createURL(
        project: String = "acme-beta-2", source: String = "appcrashlog",
        apiKey: String? = SandboxServer.defaultAPIKey
    ) -> String {
        let url = "\(baseURL)/api/v1/projects/\(project)/feedback/\(source)"
        return apiKey.map { "\(url)?apiKey=\($0)" } ?? url
    }

    /// URL of the file-element upload endpoint.
    func uploadURL(
        ticketId: Int, element: String, project: String = "acme-beta-2",
        source: String = "appcrashlog", apiKey: String = SandboxServer.defaultAPIKey
    ) -> String {
        "\(baseURL)/api/v1/projects/\(project)/feedbackTypes/\(source)/\(ticketId)"
            + "/fileElements/\(element)?apiKey=\(apiKey)"
    }

    /// Stops the server with SIGTERM and waits up to 10 seconds, then SIGKILLs it.
    func stop() {
        guard let process else { return }
        self.process = nil
        let pid = process.processIdentifier
        if process.isRunning {
            kill(pid, SIGTERM)
        }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        if process.isRunning {
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// Stops the server and starts it again on the same port with the same data.
    func restart() throws {
        stop()
        try start(port: port)
    }

    /// The sandbox's stderr so far, for failure messages.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private func start(port requestedPort: Int) throws {
        let portFile = directory.file("port")
        try? FileManager.default.removeItem(atPath: portFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("centercode-sandbox"))
        process.arguments =
            [
                "--config", configPath, "--port", String(requestedPort), "--data", dataPath,
                "--port-file", portFile,
            ] + extraArguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        logHandle.seekToEndOfFile()
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        port = try waitForPort(portFile, process: process)
    }

    private func waitForPort(_ portFile: String, process: Process) throws -> Int {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return port
            }
            if !process.isRunning {
                throw TestSupportError(
                    "centercode-sandbox exited with status \(process.terminationStatus) before "
                        + "listening. Its output:\n\(log)")
            }
            usleep(20_000)
        }
        stop()
        throw TestSupportError(
            "centercode-sandbox did not write its port within 10 s. Its output:\n\(log)")
    }
}

// MARK: - Inspection endpoints

extension SandboxServer {
    /// Returns every stored ticket, in id order.
    func tickets() throws -> [SandboxTicket] {
        let result = try HTTPClient.get("\(baseURL)/sandbox/tickets")
        guard result.status == 200,
            let array = (try? JSONSerialization.jsonObject(with: result.body)) as? [[String: Any]]
        else {
            throw TestSupportError("GET /sandbox/tickets failed: \(result.status) \(result.text)")
        }
        return try array.map(SandboxTicket.init(json:))
    }

    /// Returns one ticket, or nil when the sandbox has none with that id.
    func ticket(id: Int) throws -> SandboxTicket? {
        let result = try HTTPClient.get("\(baseURL)/sandbox/tickets/\(id)")
        if result.status == 404 { return nil }
        guard result.status == 200, let object = result.jsonObject else {
            throw TestSupportError(
                "GET /sandbox/tickets/\(id) failed: \(result.status) \(result.text)")
        }
        return try SandboxTicket(json: object)
    }

    /// Returns every API request the sandbox has seen, in arrival order.
    func requests() throws -> [SandboxRequest] {
        try decode([SandboxRequest].self, from: "/sandbox/requests")
    }

    func stats() throws -> SandboxStats {
        try decode(SandboxStats.self, from: "/sandbox/stats")
    }

    /// Replaces the fault rules with `json`, a JSON array of rule objects.
    func setFaults(_ json: String) throws {
        let result = try HTTPClient.postJSON("\(baseURL)/sandbox/faults", json)
        guard result.status == 200 else {
            throw TestSupportError("POST /sandbox/faults failed: \(result.status) \(result.text)")
        }
    }

    func clearFaults() throws {
        let result = try HTTPClient.send("DELETE", "\(baseURL)/sandbox/faults")
        guard result.status == 200 else {
            throw TestSupportError("DELETE /sandbox/faults failed: \(result.status) \(result.text)")
        }
    }

    private func decode<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        let result = try HTTPClient.get("\(baseURL)\(path)")
        guard result.status == 200 else {
            throw TestSupportError("GET \(path) failed: \(result.status) \(result.text)")
        }
        return try JSONDecoder().decode(type, from: result.body)
    }
}

// MARK: - Configuration

extension SandboxServer {
    static let defaultAPIKey = "sandbox-key-0123456789"

    /// Returns the sandbox config of `config/sandbox.json`, with the commonly varied values as
    /// parameters. `defaultSubmitter: nil` makes `submitter` required.
    static func defaultConfig(
        apiKey: String = defaultAPIKey, revokedKeys: [String] = [],
        project: String = "acme-beta-2", source: String = "appcrashlog",
        idField: String = "id", firstId: Int = 1000, maxFileBytes: Int64 = 2_147_483_648,
        defaultSubmitter: String? = nil, statusRequired: Bool = false
    ) -> String {
        let revoked = revokedKeys.map { "\"\($0)\"" }.joined(separator: ", ")
        let submitter = defaultSubmitter.map { "\"\($0)\"" } ?? "null"
        return """
            {
              "apiKey": "\(apiKey)",
              "revokedKeys": [\(revoked)],
              "project": "\(project)",
              "idField": "\(idField)",
              "firstId": \(firstId),
              "filePartName": "file",
              "maxFileBytes": \(maxFileBytes),
              "sources": {
                "\(source)": {
                  "defaultSubmitter": \(submitter),
                  "members": ["qa-bot@example.com", "tester@example.com"],
                  "required": ["summary"],
                  "statusRequired": \(statusRequired),
                  "statuses": ["New", "Open"],
                  "singleChoice": {"severity": ["Critical", "High", "Medium", "Low"]},
                  "multipleChoice": {"platforms": ["arm64", "x86_64"]},
                  "ratingScale": {"impact": ["1", "2", "3", "4", "5"]},
                  "fileElements": ["coreDump", "logs"]
                }
              }
            }
            """
    }
}
