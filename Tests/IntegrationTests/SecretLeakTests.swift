import Foundation
import Testing

/// The API key must not appear in anything crashfwd writes or prints, and a key that other
/// users can read must be reported.
@Suite(.serialized)
struct SecretLeakTests {
    static let apiKey = "leakcheck-key-7f3a9c1e5b2d"

    /// Runs delivery through an outage, a crash line that quotes the key, status, the
    /// read-only queue commands and check-config, then searches every file crashfwd and the sandbox wrote.
    @Test func apiKeyAbsentEverywhere() throws {
        let sandbox = try SandboxServer(config: SandboxServer.defaultConfig(apiKey: Self.apiKey))
        let crashfwd = try CrashfwdProcess(
            config: CrashfwdProcess.config(sandbox: sandbox), apiKey: Self.apiKey)
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 9201)])
        try waitUntil("the first ticket exists") { try sandbox.tickets().count == 1 }
        sandbox.stop()
        try crashfwd.append([CrashfwdProcess.segfaultLine(program: "key-\(Self.apiKey)", pid: 9202)]
        )
        try waitUntil("a delivery attempt fails") { crashfwd.log.contains("delivery failed") }
        // The status file keeps the last error, which names the request URL.
        var outputs = [
            try crashfwd.command(["status"]).output,
            try crashfwd.command(["status", "--json"]).output,
        ]
        try sandbox.restart()
        try waitUntil("the second ticket exists") { try sandbox.tickets().count == 2 }
        crashfwd.stop()

        for arguments in [["queue", "list"], ["queue", "list", "--json"], ["check-config"]] {
            outputs.append(try crashfwd.command(arguments).output)
        }
        let ids = try crashfwd.command(["queue", "list", "--json"]).output
            .matches(of: /"id" : "([0-9a-f]+)"/).map { String($0.1) }
        #expect(ids.count == 2)
        for id in ids {
            outputs.append(try crashfwd.command(["queue", "show", id]).output)
            outputs.append(try crashfwd.command(["queue", "show", id, "--json"]).output)
        }
        for (index, output) in outputs.enumerated() {
            #expect(!output.contains(Self.apiKey), "API key in command output \(index)")
        }

        // The watched log and the sandbox's config hold the key on purpose.
        let written =
            Self.files(under: crashfwd.directory.path).filter { $0 != crashfwd.watchedFile }
            + Self.files(under: sandbox.directory.path).filter { $0 != sandbox.configPath }
        #expect(written.contains(crashfwd.logFile))
        #expect(written.contains(sandbox.logPath))
        for path in written {
            let bytes = FileManager.default.contents(atPath: path) ?? Data()
            #expect(bytes.range(of: Data(Self.apiKey.utf8)) == nil, "API key found in \(path)")
        }
        let tickets = try sandbox.tickets()
        #expect(tickets.contains { $0.parameter("summary")?.contains("key-*** crashed") == true })
    }

    @Test func readableInlineKeyWarns() throws {
        let sandbox = try SandboxServer()
        let config = CrashfwdProcess.config(sandbox: sandbox)
            .replacingOccurrences(
                of: "api_key_env: CENTERCODE_API_KEY",
                with: "api_key: \(SandboxServer.defaultAPIKey)")
        let crashfwd = try CrashfwdProcess(config: config)
        let warning = "holds the API key and is readable by every user; run chmod o-r"

        chmod(crashfwd.configPath, 0o644)
        let readable = try crashfwd.command(["check-config"])
        #expect(readable.status == 0)
        #expect(
            readable.output.contains(
                "warning: destinations.sandbox.api_key: '\(crashfwd.configPath)' \(warning)"))
        #expect(!readable.output.contains(SandboxServer.defaultAPIKey))
        try crashfwd.start()
        crashfwd.stop()
        #expect(crashfwd.log.contains(warning))
        #expect(!crashfwd.log.contains(SandboxServer.defaultAPIKey))

        chmod(crashfwd.configPath, 0o600)
        let restricted = try crashfwd.command(["check-config"])
        #expect(restricted.status == 0)
        #expect(!restricted.output.contains("warning"))
    }

    @Test func readableKeyFileWarns() throws {
        let sandbox = try SandboxServer()
        let directory = try TemporaryDirectory(prefix: "crashfwd-key")
        let keyFile = directory.file("api-key")
        try Data("\(SandboxServer.defaultAPIKey)\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        let config = CrashfwdProcess.config(sandbox: sandbox)
            .replacingOccurrences(
                of: "api_key_env: CENTERCODE_API_KEY", with: "api_key_file: \(keyFile)")
        let crashfwd = try CrashfwdProcess(config: config, directory: directory)

        chmod(keyFile, 0o644)
        let readable = try crashfwd.command(["check-config"])
        #expect(
            readable.output.contains(
                "warning: destinations.sandbox.api_key_file: '\(keyFile)' holds the API key and is readable by every user"
            ))
        #expect(!readable.output.contains(SandboxServer.defaultAPIKey))

        chmod(keyFile, 0o600)
        let restricted = try crashfwd.command(["check-config"])
        #expect(restricted.status == 0)
        #expect(!restricted.output.contains("warning"))
    }

    static func files(under root: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var result: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = "\(root)/\(relative)"
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result.append(path)
            }
        }
        return result
    }
}
