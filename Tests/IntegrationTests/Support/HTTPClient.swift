import Foundation

/// The outcome of one HTTP request made with curl.
struct HTTPResult {
    /// The HTTP status, or 0 when no response head arrived.
    var status: Int
    /// Response headers with lowercased names.
    var headers: [String: String]
    var body: Data
    /// curl's exit code: 0 on success, 52 for an empty reply, 18 for a partial body,
    /// 56 for a connection reset while receiving.
    var curlExitCode: Int32
    /// curl's error text from stderr, empty on success.
    var curlError: String

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object, or nil.
    var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }

    /// The `description` of an error body `{"status": N, "description": "..."}`.
    var errorDescription: String? { jsonObject?["description"] as? String }
}

/// Runs `curl` as a subprocess, which handles multipart uploads, TLS and dropped
/// connections the same way for every test. Only loopback URLs are used by the tests.
enum HTTPClient {
    /// Sends a request; `json` becomes the body with `Content-Type: application/json` and
    /// `fileField`/`filePath` send a multipart/form-data upload.
    static func send(
        _ method: String, _ url: String, json: String? = nil,
        fileField: String? = nil, filePath: String? = nil,
        extraArguments: [String] = [], timeoutSeconds: Int = 120
    ) throws -> HTTPResult {
        let scratch = try TemporaryDirectory(prefix: "crashfwd-curl")
        var arguments = [
            "--silent", "--show-error", "--insecure", "--noproxy", "*",
            "--max-time", String(timeoutSeconds), "--request", method,
            "--output", scratch.file("body"), "--dump-header", scratch.file("headers"),
            "--write-out", "%{http_code}", "--header", "Expect:",
        ]
        if let json {
            try Data(json.utf8).write(to: URL(fileURLWithPath: scratch.file("request.json")))
            arguments += [
                "--header", "Content-Type: application/json",
                "--data-binary", "@\(scratch.file("request.json"))",
            ]
        }
        if let fileField, let filePath {
            arguments += ["--form", "\(fileField)=@\(filePath)"]
        }
        arguments += extraArguments + [url]
        let (exitCode, output, errorText) = try run("/usr/bin/curl", arguments)
        let body = FileManager.default.contents(atPath: scratch.file("body")) ?? Data()
        let headerText =
            (try? String(contentsOfFile: scratch.file("headers"), encoding: .utf8)) ?? ""
        return HTTPResult(
            status: Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0,
            headers: parseHeaders(headerText), body: body, curlExitCode: exitCode,
            curlError: errorText)
    }

    static func get(_ url: String) throws -> HTTPResult { try send("GET", url) }

    static func postJSON(_ url: String, _ json: String) throws -> HTTPResult {
        try send("POST", url, json: json)
    }

    private static func parseHeaders(_ text: String) -> [String: String] {
        var headers: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    /// Runs a program to completion and returns its exit code, stdout and stderr.
    /// stderr is drained on another thread, so a child that writes more than a pipe
    /// buffer to it cannot block while stdout is read.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errorReader = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: errorReader) {
            errorData = errors.fileHandleForReading.readDataToEndOfFile()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorReader.wait()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outputData, as: UTF8.self),
            String(decoding: errorData, as: UTF8.self)
        )
    }

    /// Returns the SHA-256 of a file as lowercase hex, computed by `sha256sum`.
    static func sha256(ofFile path: String) throws -> String {
        let (status, output, errorText) = try run("/usr/bin/sha256sum", [path])
        guard status == 0, let digest = output.split(separator: " ").first else {
            throw TestSupportError("sha256sum failed for \(path): \(errorText)")
        }
        return String(digest)
    }
}
