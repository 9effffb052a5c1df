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
