import Foundation
import Testing

/// End-to-end tests of `centercode-sandbox` over HTTP on 127.0.0.1.
@Suite struct SandboxTests {
    static let validTicket = """
        {"submitter": "qa-bot@example.com", "summary": "Crash in renderer",
         "severity": "High", "platforms": ["arm64"], "impact": 3}
        """

    private func createTicket(_ sandbox: SandboxServer) throws -> Int {
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        guard result.status == 201, let id = result.jsonObject?["id"] as? Int else {
            throw TestSupportError("Create failed: \(result.status) \(result.text)")
        }
        return id
    }

    @Test func createReturnsIdAndFileElementURLs() throws {
        let sandbox = try SandboxServer()
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(result.status == 201)
        #expect(result.jsonObject?["id"] as? Int == 1000)
        let elements = result.jsonObject?["fileElements"] as? [String: String]
        #expect(
            elements?["coreDump"]
                == "\(sandbox.baseURL)/api/v1/feedbackTypes/appcrashlog/1000/fileElements/coreDump")
        #expect(elements?["logs"]?.contains("acme-beta-2") == false)
        #expect(elements?.count == 2)
    }

    @Test func createStoresTicketWithParameters() throws {
        let sandbox = try SandboxServer()
        let id = try createTicket(sandbox)
        let tickets = try sandbox.tickets()
        #expect(tickets.count == 1)
        let ticket = try #require(try sandbox.ticket(id: id))
        #expect(ticket.project == "acme-beta-2")
        #expect(ticket.source == "appcrashlog")
        #expect(ticket.parameter("summary") == "Crash in renderer")
        #expect(ticket.parameter("platforms") == "arm64")
        #expect(ticket.parameter("impact") == "3")
        #expect(ticket.attachments.isEmpty)
        #expect(try sandbox.ticket(id: id + 1) == nil)
    }

    @Test func createIdsAreSequential() throws {
        let sandbox = try SandboxServer(config: SandboxServer.defaultConfig(firstId: 7))
        #expect(try createTicket(sandbox) == 7)
        #expect(try createTicket(sandbox) == 8)
    }

    @Test func createUsesConfiguredIdField() throws {
        let sandbox = try SandboxServer(config: SandboxServer.defaultConfig(idField: "feedbackId"))
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(result.status == 201)
        #expect(result.jsonObject?["feedbackId"] as? Int == 1000)
        #expect(result.jsonObject?["id"] == nil)
    }

    @Test func wrongKeyProjectOrSourceReturns404() throws {
        let sandbox = try SandboxServer()
        let urls = [
            sandbox.createURL(apiKey: "wrong-key"),
            sandbox.createURL(project: "other-project"),
            sandbox.createURL(source: "othersource"),
            "\(sandbox.baseURL)/api/v1/projects/acme-beta-2/nothing?apiKey=x",
        ]
        for url in urls {
            let result = try HTTPClient.postJSON(url, Self.validTicket)
            #expect(result.status == 404, "\(url)")
            #expect(result.errorDescription == "The requested resource could not be found.")
            #expect(result.jsonObject?["status"] as? Int == 404)
        }
        #expect(try sandbox.tickets().isEmpty)
    }

    @Test func missingKeyReturns401() throws {
        let sandbox = try SandboxServer()
        let result = try HTTPClient.postJSON(sandbox.createURL(apiKey: nil), Self.validTicket)
        #expect(result.status == 401)
        #expect(result.errorDescription == "An API key is required.")
    }

    @Test func revokedKeyReturns403() throws {
        let sandbox = try SandboxServer(
            config: SandboxServer.defaultConfig(revokedKeys: ["old-key"]))
        let result = try HTTPClient.postJSON(sandbox.createURL(apiKey: "old-key"), Self.validTicket)
        #expect(result.status == 403)
    }

    @Test func nonMemberSubmitterReturns400() throws {
        let sandbox = try SandboxServer()
        let body = #"{"submitter": "x@y", "summary": "s"}"#
        let result = try HTTPClient.postJSON(sandbox.createURL(), body)
        #expect(result.status == 400)
        #expect(
            result.errorDescription == "Invalid submitter: 'x@y' is not a member of this project.")
    }

    @Test func missingSubmitterWithoutDefaultReturns400() throws {
        let sandbox = try SandboxServer()
        let result = try HTTPClient.postJSON(sandbox.createURL(), #"{"summary": "s"}"#)
        #expect(result.status == 400)
        #expect(result.errorDescription?.contains("submitter") == true)
    }

    @Test func defaultSubmitterMakesSubmitterOptional() throws {
        let sandbox = try SandboxServer(
            config: SandboxServer.defaultConfig(defaultSubmitter: "qa-bot@example.com"))
        let result = try HTTPClient.postJSON(sandbox.createURL(), #"{"summary": "s"}"#)
        #expect(result.status == 201)
    }

    @Test func missingRequiredParameterReturns400() throws {
        let sandbox = try SandboxServer()
        for body in [
            #"{"submitter": "qa-bot@example.com"}"#,
            #"{"submitter": "qa-bot@example.com", "summary": "  "}"#,
        ] {
            let result = try HTTPClient.postJSON(sandbox.createURL(), body)
            #expect(result.status == 400)
            #expect(result.errorDescription?.contains("'summary'") == true)
        }
    }

    @Test func wrongChoiceValueReturns400() throws {
        let sandbox = try SandboxServer()
        let cases: [(field: String, value: String, option: String)] = [
            ("severity", #""high""#, "'High'"),
            ("severity", #""High ""#, "'High'"),
            ("platforms", #"["arm64", "ARM64"]"#, "'x86_64'"),
            ("impact", "7", "'5'"),
            ("impact", "2.5", "'5'"),
        ]
        for item in cases {
            let body =
                #"{"submitter": "qa-bot@example.com", "summary": "s", "\#(item.field)": \#(item.value)}"#
            let result = try HTTPClient.postJSON(sandbox.createURL(), body)
            #expect(result.status == 400, "\(item.field)=\(item.value)")
            #expect(result.errorDescription?.contains("'\(item.field)'") == true)
            #expect(result.errorDescription?.contains(item.option) == true)
        }
        #expect(try sandbox.tickets().isEmpty)
    }

    @Test func choiceValuesInAcceptedForms() throws {
        let sandbox = try SandboxServer()
        let body = """
            {"submitter": "tester@example.com", "summary": "s", "severity": "Low",
             "platforms": "x86_64", "impact": "5", "status": "Open"}
            """
        let result = try HTTPClient.postJSON(sandbox.createURL(), body)
        #expect(result.status == 201, "\(result.text)")
    }

    @Test func statusRequiredAndChecked() throws {
        let sandbox = try SandboxServer(config: SandboxServer.defaultConfig(statusRequired: true))
        let missing = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(missing.status == 400)
        #expect(missing.errorDescription?.contains("'New', 'Open'") == true)
        let body = #"{"submitter": "qa-bot@example.com", "summary": "s", "status": "Closed"}"#
        let invalid = try HTTPClient.postJSON(sandbox.createURL(), body)
        #expect(invalid.status == 400)
        #expect(invalid.errorDescription?.contains("'Closed'") == true)
    }

    @Test func bodyNotObjectReturns400() throws {
        let sandbox = try SandboxServer()
        for body in ["[1, 2]", "not json", ""] {
            let result = try HTTPClient.postJSON(sandbox.createURL(), body)
            #expect(result.status == 400, "body: \(body)")
        }
    }

    @Test func oversizedCreateBodyReturns413() throws {
        let sandbox = try SandboxServer()
        let padding = String(repeating: "a", count: 11 * 1024 * 1024)
        let body = #"{"submitter": "qa-bot@example.com", "summary": "\#(padding)"}"#
        let result = try HTTPClient.postJSON(sandbox.createURL(), body)
        #expect(result.status == 413)
    }

    @Test func requestLogRedactsAPIKey() throws {
        let sandbox = try SandboxServer()
        _ = try createTicket(sandbox)
        _ = try HTTPClient.postJSON(sandbox.createURL(apiKey: "wrong"), "{}")
        let requests = try sandbox.requests()
        #expect(requests.count == 2)
        #expect(requests.first?.status == 201)
        #expect(requests.first?.path.hasSuffix("?apiKey=***") == true)
        #expect(requests.last?.status == 404)
        #expect(!sandbox.log.contains(SandboxServer.defaultAPIKey))
        let stats = try sandbox.stats()
        #expect(stats.requests == 2)
        #expect(stats.tickets == 1)
    }

    @Test func restartKeepsTicketsAndNumbering() throws {
        let sandbox = try SandboxServer()
        let first = try createTicket(sandbox)
        let port = sandbox.port
        try sandbox.restart()
        #expect(sandbox.port == port)
        #expect(try sandbox.ticket(id: first) != nil)
        #expect(try createTicket(sandbox) == first + 1)
    }

    @Test func unknownConfigKeyExitsWith2() throws {
        let directory = try TemporaryDirectory()
        let config = SandboxServer.defaultConfig().replacingOccurrences(
            of: "\"idField\"", with: "\"idFeild\"")
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory.file("bad.json")))
        let (status, _, errors) = try HTTPClient.run(
            Binaries.path("centercode-sandbox"),
            ["--config", directory.file("bad.json"), "--port", "0", "--data", directory.file("d")])
        #expect(status == 2)
        #expect(errors.contains("idFeild"))
    }

    @Test func invalidArgumentExitsWith2() throws {
        let (status, _, errors) = try HTTPClient.run(
            Binaries.path("centercode-sandbox"), ["--port", "http"])
        #expect(status == 2)
        #expect(errors.contains("'http'"))
    }
}

// MARK: - Uploads

extension SandboxTests {
    /// Writes `size` bytes of a repeating non-trivial pattern, in 1 MiB chunks.
    private func writeFile(_ path: String, size: Int) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var generator = SystemRandomNumberGenerator()
        let chunk = Data((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        var remaining = size
        while remaining > 0 {
            let count = min(remaining, chunk.count)
            try handle.write(contentsOf: chunk.prefix(count))
            remaining -= count
        }
    }

    private func upload(
        _ sandbox: SandboxServer, ticketId: Int, element: String, file: String
    ) throws -> HTTPResult {
        try HTTPClient.send(
            "POST", sandbox.uploadURL(ticketId: ticketId, element: element), fileField: "file",
            filePath: file)
    }

    @Test func uploadStoresByteIdenticalFile() throws {
        let sandbox = try SandboxServer()
        let id = try createTicket(sandbox)
        let file = sandbox.directory.file("core.1234")
        try writeFile(file, size: 300_001)
        let result = try upload(sandbox, ticketId: id, element: "coreDump", file: file)
        #expect(result.status == 201)
        #expect(result.jsonObject?["element"] as? String == "coreDump")
        #expect(result.jsonObject?["name"] as? String == "core.1234")
        #expect(result.jsonObject?["size"] as? Int == 300_001)
        let ticket = try #require(try sandbox.ticket(id: id))
        let expected = SandboxAttachment(
            element: "coreDump", name: "core.1234", size: 300_001,
            sha256: try HTTPClient.sha256(ofFile: file))
        #expect(ticket.attachments == [expected])
        let stored = "\(sandbox.dataPath)/files/\(id)/coreDump/core.1234"
        #expect(try HTTPClient.sha256(ofFile: stored) == expected.sha256)
    }

    @Test func uploadOf50MBIsByteIdentical() throws {
        let sandbox = try SandboxServer()
        let id = try createTicket(sandbox)
        let file = sandbox.directory.file("big.core")
        let size = 50 * 1024 * 1024 + 17
        try writeFile(file, size: size)
        let result = try upload(sandbox, ticketId: id, element: "logs", file: file)
        #expect(result.status == 201)
        let attachment = try #require(try sandbox.ticket(id: id)?.attachments.first)
        #expect(attachment.size == Int64(size))
        #expect(attachment.sha256 == (try HTTPClient.sha256(ofFile: file)))
    }

    @Test func uploadTwiceKeepsOneCopy() throws {
        let sandbox = try SandboxServer()
        let id = try createTicket(sandbox)
        let file = sandbox.directory.file("app.log")
        try writeFile(file, size: 1000)
        #expect(try upload(sandbox, ticketId: id, element: "logs", file: file).status == 201)
        try writeFile(file, size: 2000)
        #expect(try upload(sandbox, ticketId: id, element: "logs", file: file).status == 201)
        let attachments = try #require(try sandbox.ticket(id: id)?.attachments)
        #expect(attachments.count == 1)
        #expect(attachments.first?.size == 2000)
        let files = try FileManager.default.contentsOfDirectory(
            atPath: "\(sandbox.dataPath)/files/\(id)/logs")
        #expect(files == ["app.log"])
    }

    @Test func uploadToUnknownTicketOrElementReturns404() throws {
        let sandbox = try SandboxServer()
        let id = try createTicket(sandbox)
        let file = sandbox.directory.file("x.log")
        try writeFile(file, size: 10)
        let unknownTicket = try upload(sandbox, ticketId: id + 5, element: "logs", file: file)
        #expect(unknownTicket.status == 404)
        let unknownElement = try upload(sandbox, ticketId: id, element: "screenshot", file: file)
        #expect(unknownElement.status == 404)
        #expect(unknownElement.errorDescription == "The requested resource could not be found.")
    }

    @Test func uploadFileNameIsSanitized() throws {
        let sandbox = try SandboxServer()
        let id = try createTicket(sandbox)
        let file = sandbox.directory.file("x.log")
        try writeFile(file, size: 10)
        let result = try HTTPClient.send(
            "POST", sandbox.uploadURL(ticketId: id, element: "logs"),
            extraArguments: ["--form", "file=@\(file);filename=../../escape.log"])
        #expect(result.status == 201)
        #expect(result.jsonObject?["name"] as? String == "escape.log")
        #expect(!FileManager.default.fileExists(atPath: "\(sandbox.dataPath)/escape.log"))
    }

    @Test func uploadOverMaxFileBytesReturns413() throws {
        let sandbox = try SandboxServer(config: SandboxServer.defaultConfig(maxFileBytes: 1000))
        let id = try createTicket(sandbox)
        let file = sandbox.directory.file("big.log")
        try writeFile(file, size: 5000)
        #expect(try upload(sandbox, ticketId: id, element: "logs", file: file).status == 413)
        try writeFile(file, size: 3 * 1024 * 1024)
        #expect(try upload(sandbox, ticketId: id, element: "logs", file: file).status == 413)
        #expect(try sandbox.ticket(id: id)?.attachments.isEmpty == true)
    }
}

// MARK: - Faults and rate limit

extension SandboxTests {
    @Test func faultRespondSkipsThenAnswers() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(
            """
            [{"method": "POST", "pathContains": "/feedback/", "skip": 1, "times": 1,
              "status": 503, "retryAfter": "2", "action": "respond"}]
            """)
        let passed = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(passed.status == 201)
        let failed = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(failed.status == 503)
        #expect(failed.headers["retry-after"] == "2")
        let after = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(after.status == 201)
        #expect(try sandbox.tickets().count == 2)
    }

    @Test func faultListShowsRemainingCount() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(#"[{"times": 3, "status": 500}]"#)
        _ = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        let listed = try HTTPClient.get("\(sandbox.baseURL)/sandbox/faults")
        let rules = (try? JSONSerialization.jsonObject(with: listed.body)) as? [[String: Any]]
        #expect(rules?.first?["times"] as? Int == 2)
        try sandbox.clearFaults()
        #expect(try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket).status == 201)
    }

    @Test func faultDelayThenSucceeds() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(#"[{"action": "delay", "delayMs": 600}]"#)
        let start = Date()
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(result.status == 201)
        #expect(Date().timeIntervalSince(start) >= 0.6)
    }

    @Test func faultCloseBeforeResponseStoresNothing() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(#"[{"action": "close-before-response"}]"#)
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(result.status == 0)
        #expect(result.curlExitCode == 52)
        #expect(try sandbox.tickets().isEmpty)
        #expect(try sandbox.requests().first?.status == 0)
    }

    @Test func faultCloseMidResponseStoresTicket() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(#"[{"action": "close-mid-response"}]"#)
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(result.status == 201)
        #expect(result.curlExitCode == 18)
        #expect(result.jsonObject == nil)
        #expect(try sandbox.tickets().count == 1)
    }

    @Test func faultAcceptThenDropStoresTicket() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(#"[{"action": "accept-then-drop"}]"#)
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(result.status == 0)
        #expect(result.curlExitCode == 52)
        #expect(try sandbox.tickets().count == 1)
    }

    @Test func faultCloseMidRequestStoresNoFile() throws {
        let sandbox = try SandboxServer()
        let id = try createTicket(sandbox)
        try sandbox.setFaults(
            #"[{"pathContains": "/fileElements/", "action": "close-mid-request"}]"#)
        let file = sandbox.directory.file("core")
        try writeFile(file, size: 4 * 1024 * 1024)
        let result = try upload(sandbox, ticketId: id, element: "coreDump", file: file)
        #expect(result.status == 0)
        #expect(result.curlExitCode != 0)
        #expect(try sandbox.ticket(id: id)?.attachments.isEmpty == true)
        let incoming = try FileManager.default.contentsOfDirectory(
            atPath: "\(sandbox.dataPath)/incoming")
        #expect(incoming.isEmpty)
        #expect(try upload(sandbox, ticketId: id, element: "coreDump", file: file).status == 201)
    }

    @Test func faultsFileLoadedAtStart() throws {
        let directory = try TemporaryDirectory()
        let faults = directory.file("faults.json")
        try Data(#"[{"status": 502, "times": -1}]"#.utf8).write(to: URL(fileURLWithPath: faults))
        let sandbox = try SandboxServer(extraArguments: ["--faults", faults])
        for _ in 0..<3 {
            #expect(try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket).status == 502)
        }
    }

    @Test func rateLimitAnswers429WithRetryAfter() throws {
        let sandbox = try SandboxServer(extraArguments: ["--rate-limit", "1"])
        var statuses: [Int] = []
        var retryAfter: [String?] = []
        for _ in 0..<5 {
            let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
            statuses.append(result.status)
            retryAfter.append(result.headers["retry-after"])
        }
        #expect(statuses.contains(429), "\(statuses)")
        let index = try #require(statuses.firstIndex(of: 429))
        #expect(retryAfter[index] == "1")
        let stats = try sandbox.stats()
        #expect(stats.rejectedRateLimit == statuses.filter { $0 == 429 }.count)
        #expect(stats.tickets == statuses.filter { $0 == 201 }.count)
    }

    @Test func randomFailuresRepeatForSameSeed() throws {
        func statuses() throws -> [Int] {
            let sandbox = try SandboxServer(
                extraArguments: ["--random-failures", "0.5", "--seed", "42"])
            return try (0..<12).map { _ in
                try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket).status
            }
        }
        let first = try statuses()
        #expect(first.contains(201))
        #expect(first.contains { $0 != 201 })
        #expect(try statuses() == first)
    }

    @Test func tlsServesHTTPS() throws {
        let directory = try TemporaryDirectory()
        let certificate = directory.file("cert.pem")
        let key = directory.file("key.pem")
        let (status, _, errors) = try HTTPClient.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                "/CN=127.0.0.1", "-keyout", key, "-out", certificate,
            ])
        try #require(status == 0, "openssl failed: \(errors)")
        let sandbox = try SandboxServer(
            extraArguments: ["--tls-cert", certificate, "--tls-key", key])
        #expect(sandbox.baseURL.hasPrefix("https://"))
        let result = try HTTPClient.postJSON(sandbox.createURL(), Self.validTicket)
        #expect(result.status == 201)
        let elements = result.jsonObject?["fileElements"] as? [String: String]
        #expect(elements?["coreDump"]?.hasPrefix("https://127.0.0.1:") == true)
    }
}
