import Glibc
import Testing

@testable import CrashfwdCore

/// Each broken config reports the exact position, key and message an operator needs.
@Suite struct ConfigErrorTests {
    static let destination = """
        destinations:
          main:
            url: https://example.invalid
            project: acme-beta-2
            source: appcrashlog
            api_key: secret-key-123
            parameters:
              submitter: qa@example.com
              summary: "{{program}}"
        """

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "invalid YAML",
            yaml: "detect:\n  matchers: [\n",
            expected:
                "test.yaml:3:1: invalid YAML: did not find expected node content while parsing a flow node"
        ),
        Case(
            name: "unknown top-level key",
            yaml: destination + "\nstate_dir: /tmp/x\n",
            expected:
                "test.yaml:10:1: state_dir: unknown key; check its spelling against the documented keys"
        ),
        Case(
            name: "missing destinations",
            yaml: "log_level: info\n",
            expected:
                "test.yaml:1:1: destinations: missing; name at least one Centercode External Source"
        ),
        Case(
            name: "bad log level",
            yaml: destination + "\nlog_level: loud\n",
            expected:
                "test.yaml:10:12: log_level: invalid level 'loud': use debug, info, notice, warning or error"
        ),
        Case(
            name: "invalid regex",
            yaml: destination
                + "\ndetect:\n  destination: main\n  matchers:\n    - name: bad\n      pattern: 'segfault ('\n",
            expected:
                "test.yaml:14:16: detect.matchers[0].pattern: invalid regular expression at offset 10: missing closing parenthesis"
        ),
        Case(
            name: "unknown destination",
            yaml: destination
                + "\ndetect:\n  matchers:\n    - name: m\n      destination: other\n      pattern: 'x'\n",
            expected:
                "test.yaml:12:7: detect.matchers[0].destination: unknown destination 'other'; known: main"
        ),
        Case(
            name: "undefined template variable",
            yaml: destination
                + "\ndetect:\n  destination: main\n  matchers:\n    - name: m\n      pattern: 'segfault'\n",
            expected:
                "test.yaml:9:16: destinations.main.parameters.summary: template variable 'program' is not defined for matcher 'm'; 'm' has: block, context, fingerprint, line, matcher, report_id, source, time, truncated, device.*, journal.*"
        ),
        Case(
            name: "undefined variable reported once for many matchers",
            yaml: destination
                + "\ndetect:\n  destination: main\n  matchers:\n    - name: a\n      pattern: 'x'\n    - name: b\n      pattern: 'y'\n",
            expected:
                "test.yaml:9:16: destinations.main.parameters.summary: template variable 'program' is not defined for matcher 'a' and 1 more matcher(s); 'a' has: block, context, fingerprint, line, matcher, report_id, source, time, truncated, device.*, journal.*"
        ),
        Case(
            name: "duplicate key",
            yaml: destination + "\nlog_level: info\nlog_level: debug\n",
            expected:
                "test.yaml:11:1: invalid YAML: duplicate key 'log_level' (first defined on line 10); merge the two or remove one"
        ),
        Case(
            name: "relative state directory",
            yaml: destination + "\nstate_directory: state\n",
            expected:
                "test.yaml:10:18: state_directory: 'state' is relative, so the daemon and 'crashfwd queue' would use different folders depending on where they start; use an absolute path"
        ),
        Case(
            name: "directory as watched file",
            yaml: destination + "\nwatch:\n  files:\n    - path: /tmp\n",
            expected:
                "test.yaml:12:7: watch.files[0].path: '/tmp' is a directory; name the files in it with a glob such as '/tmp/*.log'"
        ),
        Case(
            name: "plain http without allow_http",
            yaml: destination.replacingOccurrences(
                "https://example.invalid", with: "http://127.0.0.1:9"),
            expected:
                "test.yaml:3:10: destinations.main.url: 'http://127.0.0.1:9' is plain HTTP; use https://, or set allow_http: true for a local sandbox"
        ),
        Case(
            name: "no API key",
            yaml: destination.replacingOccurrences("    api_key: secret-key-123\n", with: ""),
            expected:
                "test.yaml:3:5: destinations.main.api_key: missing; set one of api_key_file, api_key_env, api_key_credential or api_key"
        ),
        Case(
            name: "choice fallback not an option",
            yaml: destination
                + "\n      severity:\n        template: x\n        type: single_choice\n        options: [High, Low]\n        fallback: Medium\n",
            expected:
                "test.yaml:14:19: destinations.main.parameters.severity.fallback: 'Medium' is not one of the options [\"High\", \"Low\"]"
        ),
        Case(
            name: "unknown parameter type",
            yaml: destination + "\n      severity:\n        template: x\n        type: dropdown\n",
            expected:
                "test.yaml:12:15: destinations.main.parameters.severity.type: invalid type 'dropdown': use one of text, single_choice, multiple_choice, rating"
        ),
        Case(
            name: "unclosed template",
            yaml: destination.replacingOccurrences("\"{{program}}\"", with: "\"{{program\""),
            expected:
                "test.yaml:9:16: destinations.main.parameters.summary: '{{' has no matching '}}' in template '{{program'"
        ),
        Case(
            name: "submitter missing without default submitter",
            yaml: destination.replacingOccurrences("      submitter: qa@example.com\n", with: ""),
            expected:
                "test.yaml:3:5: destinations.main.parameters: missing 'submitter': this External Source has no default submitter (default_submitter: false), so Centercode requires a member's email in 'submitter'"
        ),
        Case(
            name: "relative watched path",
            yaml: destination + "\nwatch:\n  files:\n    - path: logs/app.log\n",
            expected:
                "test.yaml:12:7: watch.files[0].path: 'logs/app.log' is relative; use an absolute path"
        ),
        Case(
            name: "bad duration",
            yaml: destination + "\ndelivery:\n  initial_backoff: soon\n",
            expected:
                "test.yaml:11:20: delivery.initial_backoff: invalid duration 'soon': expected a number with an optional unit ms, s, m, h or d (at least 0.01 s, at most 36500d)"
        ),
        Case(
            name: "destination timeout above an hour",
            yaml: destination.replacingOccurrences(
                "    project: acme-beta-2\n", with: "    project: acme-beta-2\n    timeout: 1e16s\n"
            ),
            expected:
                "test.yaml:5:14: destinations.main.timeout: invalid duration '1e16s': expected a number with an optional unit ms, s, m, h or d (at least 1.0 s, at most 1h)"
        ),
        Case(
            name: "infinite duration",
            yaml: destination + "\ndelivery:\n  http_worker_idle_timeout: inf\n",
            expected:
                "test.yaml:11:29: delivery.http_worker_idle_timeout: invalid duration 'inf': expected a number with an optional unit ms, s, m, h or d (at least 0.0 s, at most 36500d)"
        ),
    ]

    @Test(arguments: cases)
    func brokenConfigReportsProblem(_ testCase: Case) throws {
        let error = #expect(throws: ConfigErrors.self) {
            try Config.parse(testCase.yaml, file: "test.yaml")
        }
        let messages = error?.problems.map(\.description) ?? []
        #expect(messages.contains(testCase.expected), "got: \(messages)")
    }

    @Test func validConfigLoads() throws {
        let config = try Config.parse(
            Self.destination
                + "\ndetect:\n  destination: main\n  matchers:\n    - name: m\n      pattern: '(?<program>\\w+): segfault'\n",
            file: "test.yaml")
        #expect(config.destinations["main"]?.apiKey == "secret-key-123")
        #expect(config.matchers.map(\.name) == ["m"])
        #expect(config.warnings.isEmpty)
    }

    @Test func apiKeyFromEnvironment() throws {
        let yaml = Self.destination.replacingOccurrences(
            "api_key: secret-key-123", with: "api_key_env: TEST_KEY")
        let config = try Config.parse(
            yaml, file: "test.yaml", environment: ["TEST_KEY": "from-env-key\n"])
        #expect(config.destinations["main"]?.apiKey == "from-env-key")
    }

    @Test func apiKeyFromCredential() throws {
        let directory = "/tmp/crashfwd-credentials-\(getpid())"
        try FileIO.makeDirectory(directory)
        try DurableFile.write("credential-key\n", to: "\(directory)/centercode")
        let yaml = Self.destination.replacingOccurrences(
            "api_key: secret-key-123", with: "api_key_credential: centercode")
        let config = try Config.parse(
            yaml, file: "test.yaml", environment: ["CREDENTIALS_DIRECTORY": directory])
        #expect(config.destinations["main"]?.apiKey == "credential-key")
        try FileIO.remove("\(directory)/centercode")
    }
}
