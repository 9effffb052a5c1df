import Testing

@testable import CrashfwdCore

@Suite struct TemplateTests {
    @Test func substitutesVariablesAndFilters() throws {
        let template = try Template(
            "{{program}} died ({{signal | default: unknown}}) {{message | truncate: 5 | upper}}")
        let values = ["program": "camd", "message": "segmentation fault"]
        #expect(template.render { values[$0] } == "camd died (unknown) SEGME")
        #expect(template.variables == ["program", "signal", "message"])
    }

    @Test func capturedTextIsNotEvaluated() throws {
        let template = try Template("summary: {{message}}")
        let hostile = "{{device.hostname}} \"},{\"x\":1 {{"
        #expect(template.render { $0 == "message" ? hostile : "LEAK" } == "summary: \(hostile)")
    }

    @Test(arguments: ["{{", "{{ }}", "{{a b}}", "{{x | nope}}", "{{x | truncate: -1}}"])
    func invalidTemplateThrows(_ source: String) {
        #expect(throws: Template.ParseError.self) { try Template(source) }
    }
}

@Suite struct ReportRendererTests {
    static let device = DeviceFacts(
        hostname: "rig01", machineID: "m", bootID: "b", kernel: "6.1", os: "Debian")

    static func destination(_ parameters: [ParameterSpec]) -> DestinationConfig {
        DestinationConfig(
            name: "main", baseURL: "https://example.invalid", project: "p", source: "s",
            apiKey: "k", apiKeyOrigin: "test", feedbackIDField: "id", hasDefaultSubmitter: true,
            parameters: parameters, allowPlainHTTP: false, timeout: 30, filePartName: "file")
    }

    static func detection(_ captures: [String: String]) -> Detection {
        Detection(
            matcher: "segfault", destination: "main", source: "file:/var/log/app.log",
            captures: captures, lines: ["line one", "line two"], contextBefore: ["before"],
            journalFields: ["COREDUMP_EXE": "/usr/bin/camd"], firstRecordID: "1:2:3",
            timestamp: 1_700_000_000_000_000)
    }

    static let severity = ParameterSpec(
        name: "severity", template: try! Template("{{signal}}"), type: .singleChoice,
        options: ["Critical", "High", "Medium"], valueMap: ["SIGSEGV": "Critical"], fallback: nil,
        required: true)

    @Test func mapsChoiceToExactOption() throws {
        let renderer = ReportRenderer(
            destination: Self.destination([Self.severity]), device: Self.device)
        let body = try renderer.parameters(
            for: Self.detection(["signal": "SIGSEGV"]), reportID: "r")
        #expect(body["severity"] == .string("Critical"))
    }

    @Test func rejectsValueOutsideOptions() throws {
        let renderer = ReportRenderer(
            destination: Self.destination([Self.severity]), device: Self.device)
        let error = #expect(throws: RenderError.self) {
            try renderer.parameters(for: Self.detection(["signal": "SIGBUS"]), reportID: "r")
        }
        #expect(error?.parameter == "severity")
        #expect(error?.message.contains("'SIGBUS' is not one of the form's options") == true)
    }

    @Test func usesFallbackOutsideOptions() throws {
        var spec = Self.severity
        spec.fallback = "Medium"
        let renderer = ReportRenderer(destination: Self.destination([spec]), device: Self.device)
        let body = try renderer.parameters(for: Self.detection(["signal": "SIGBUS"]), reportID: "r")
        #expect(body["severity"] == .string("Medium"))
    }

    @Test func choiceMatchIsCaseSensitive() throws {
        let renderer = ReportRenderer(
            destination: Self.destination([Self.severity]), device: Self.device)
        #expect(throws: RenderError.self) {
            try renderer.parameters(for: Self.detection(["signal": "critical"]), reportID: "r")
        }
    }

    @Test func multipleChoiceBecomesArray() throws {
        let spec = ParameterSpec(
            name: "platforms", template: try Template("{{arch}}, x86_64"), type: .multipleChoice,
            options: ["arm64", "x86_64"])
        let renderer = ReportRenderer(destination: Self.destination([spec]), device: Self.device)
        let body = try renderer.parameters(for: Self.detection(["arch": "arm64"]), reportID: "r")
        #expect(body["platforms"] == .array([.string("arm64"), .string("x86_64")]))
    }

    @Test func requiredEmptyTextFails() throws {
        let spec = ParameterSpec(
            name: "summary", template: try Template("{{program}}"), required: true)
        let renderer = ReportRenderer(destination: Self.destination([spec]), device: Self.device)
        #expect(throws: RenderError.self) {
            try renderer.parameters(for: Self.detection([:]), reportID: "r")
        }
    }

    @Test func deviceJournalAndBuiltinVariables() throws {
        let spec = ParameterSpec(
            name: "description",
            template: try Template(
                "{{device.hostname}}|{{journal.COREDUMP_EXE}}|{{line}}|{{context}}|{{source}}|{{time}}"
            ))
        let renderer = ReportRenderer(destination: Self.destination([spec]), device: Self.device)
        let body = try renderer.parameters(for: Self.detection([:]), reportID: "r")
        #expect(
            body["description"]
                == .string(
                    "rig01|/usr/bin/camd|line one|before\nline one\nline two|/var/log/app.log|2023-11-14T22:13:20Z"
                ))
    }

    @Test func bodyEscapesCapturedText() throws {
        let spec = ParameterSpec(name: "summary", template: try Template("{{message}}"))
        let renderer = ReportRenderer(destination: Self.destination([spec]), device: Self.device)
        let body = try renderer.body(
            for: Self.detection(["message": "a\"b\n\u{1}c"]), reportID: "r")
        #expect(String(decoding: body, as: UTF8.self) == #"{"summary":"a\"b\n\u0001c"}"#)
    }
}

@Suite struct RedactorTests {
    @Test(arguments: [
        ("https://h/api?apiKey=abc123&x=1", "https://h/api?apiKey=***&x=1"),
        ("GET /x?APIKEY=zzz HTTP/1.1", "GET /x?APIKEY=*** HTTP/1.1"),
        ("no key here", "no key here"),
    ])
    func redactsQueryKey(_ input: String, _ expected: String) {
        #expect(Redactor.redactQueryKey(input) == expected)
    }

    @Test func redactsRegisteredSecretAnywhere() {
        let redactor = Redactor()
        redactor.register("s3cr3t-value")
        #expect(redactor.redact("error: key s3cr3t-value rejected") == "error: key *** rejected")
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func knownVectors(_ input: String, _ digest: String) {
        #expect(SHA256.hex(input) == digest)
    }
}
