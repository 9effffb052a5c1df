import Glibc
import Testing

@testable import CrashfwdCore

/// The default redaction rules on text as real programs log it.
@Suite struct ScrubberDefaultTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var input: String
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "bearer header",
            input: "curl: > Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc123",
            expected: "curl: > Authorization: Bearer [redacted]"),
        Case(
            name: "token query parameter",
            input: "GET /sync?device=7&token=9f8e7d6c5b4a3210&page=2 failed",
            expected: "GET /sync?device=7&token=[redacted]&page=2 failed"),
        Case(
            name: "password key value",
            input: "db connect failed: host=db1 user=app password=hunter2!! retry=3",
            expected: "db connect failed: host=db1 user=app password=[redacted] retry=3"),
        Case(
            name: "json api key",
            input: #"config: {"api_key": "sk_live_51H8aBc", "region": "eu"}"#,
            expected: #"config: {"api_key": "[redacted]", "region": "eu"}"#),
        Case(
            name: "prefixed env secret",
            input: "env: AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY HOME=/root",
            expected: "env: AWS_SECRET_ACCESS_KEY=[redacted] HOME=/root"),
        Case(
            name: "passwd with colon",
            input: "login failed; passwd: correct-horse",
            expected: "login failed; passwd: [redacted]"),
        Case(
            name: "aws access key id",
            input: "s3 upload denied for AKIAIOSFODNN7EXAMPLE in eu-west-1",
            expected: "s3 upload denied for [redacted-aws-key] in eu-west-1"),
        Case(
            name: "email address",
            input: "sync for jane.doe+beta@example.co.uk aborted",
            expected: "sync for [redacted-email] aborted"),
        Case(
            name: "url credentials",
            input: "fetch https://admin:s3cr3t@updates.example.com/v2 failed",
            expected: "fetch https://admin:[redacted]@updates.example.com/v2 failed"),
        Case(
            name: "segfault line unchanged",
            input:
                "camera-daemon[4101]: segfault at 0 ip 000055d0c0de1234 sp 00007ffd5ac0ffee error 4",
            expected:
                "camera-daemon[4101]: segfault at 0 ip 000055d0c0de1234 sp 00007ffd5ac0ffee error 4"
        ),
        Case(
            name: "ansi colours removed",
            input: "\u{1B}[31mFATAL\u{1B}[0m: \u{1B}]0;title\u{07}abort",
            expected: "FATAL: abort"),
        Case(
            name: "escape inside a key name",
            input: "pass\u{1B}[0mword=hunter2",
            expected: "password=[redacted]"),
        Case(
            name: "control characters made visible",
            input: "a\u{0}b\u{8}c\u{7F}d\u{9B}2Je\tf",
            expected: "a\u{2400}b\u{2408}c\u{2421}de\tf"),
    ]

    @Test(arguments: cases)
    func scrubsText(_ testCase: Case) {
        #expect(Scrubber.standard.scrub(testCase.input) == testCase.expected)
    }

    @Test func everyDefaultRuleCompiles() throws {
        for rule in Scrubber.defaultRules {
            #expect(throws: Never.self, "\(rule.pattern)") { try SubstitutionPattern(rule) }
        }
        #expect(Scrubber.standard.patterns.count == Scrubber.defaultRules.count)
    }

    /// A 64 KiB line (the default `watch.max_line_bytes`) built to be slow for each rule
    /// must still be scrubbed quickly, because the rules run on every captured line.
    @Test(arguments: [
        String(repeating: "a", count: 64 << 10),
        String(repeating: "a.", count: 32 << 10) + "@",
        String(repeating: "password", count: 8 << 10),
        String(repeating: "x://a:", count: 10 << 10),
        String(repeating: "Bearer ", count: 9 << 10),
        String(repeating: "\u{1B}[", count: 32 << 10),
    ])
    func longLineScrubbedQuickly(_ line: String) {
        let start = Clock.monotonic()
        _ = Scrubber.standard.scrub(line)
        #expect(Clock.monotonic() - start < 1.0)
    }
}

@Suite struct ScrubberDetectionTests {
    static func detection() -> Detection {
        Detection(
            matcher: "coredump", destination: "main", source: "journal",
            captures: ["user": "ops@example.com", "program": "camd"],
            lines: ["token=abcdef123456 crashed"], contextBefore: ["password=one"],
            contextAfter: ["\u{1B}[1mbold\u{1B}[0m"],
            journalFields: [
                "COREDUMP_ENVIRON": "HOME=/root\nAPI_TOKEN=abc", "COREDUMP_EXE": "/usr/bin/camd",
                "MESSAGE": "secret=xyz",
            ],
            firstRecordID: "c", timestamp: 0)
    }

    @Test func scrubsEveryTextField() {
        let scrubbed = Scrubber.standard.scrub(Self.detection())
        #expect(scrubbed.captures["user"] == "[redacted-email]")
        #expect(scrubbed.captures["program"] == "camd")
        #expect(scrubbed.lines == ["token=[redacted] crashed"])
        #expect(scrubbed.contextBefore == ["password=[redacted]"])
        #expect(scrubbed.contextAfter == ["bold"])
        #expect(scrubbed.journalFields["MESSAGE"] == "secret=[redacted]")
        #expect(scrubbed.journalFields["COREDUMP_EXE"] == "/usr/bin/camd")
    }

    @Test func dropsCoredumpEnvironByDefault() {
        let scrubbed = Scrubber.standard.scrub(Self.detection())
        #expect(scrubbed.journalFields["COREDUMP_ENVIRON"] == nil)
    }

    @Test func keepsCoredumpEnvironWhenAllowed() throws {
        let scrubber = try Scrubber(rules: [], allowCoredumpEnviron: true)
        let scrubbed = scrubber.scrub(Self.detection())
        #expect(scrubbed.journalFields["COREDUMP_ENVIRON"] == "HOME=/root\nAPI_TOKEN=[redacted]")
    }

    @Test func registeredSecretRemoved() {
        Redactor.shared.register("centercode-key-5566778899")
        let text = Scrubber.standard.scrub("leaked centercode-key-5566778899 here")
        #expect(text == "leaked *** here")
    }

    @Test func customRuleWithGroups() throws {
        let scrubber = try Scrubber(
            rules: [
                RedactionRule(
                    pattern: #"serial (?<prefix>\w{2})\w+"#,
                    replacement: "serial ${prefix}$$[redacted]")
            ],
            defaults: false)
        #expect(scrubber.scrub("device serial AB12345 lost") == "device serial AB$[redacted] lost")
    }

    @Test(arguments: ["$2", "${missing}", "$", "${1", "cost $ 5"])
    func invalidReplacementRejected(_ replacement: String) {
        #expect(throws: Regex.CompileError.self) {
            try SubstitutionPattern(RedactionRule(pattern: "(a)", replacement: replacement))
        }
    }

    @Test func failingRuleReplacesWholeText() throws {
        // Exponential backtracking hits the match limit instead of running for minutes.
        let scrubber = try Scrubber(rules: [RedactionRule(pattern: "(a|aa)+$")], defaults: false)
        let text = String(repeating: "a", count: 64) + "b"
        #expect(scrubber.scrub(text) == "[redacted: redaction rule 0 failed]")
    }
}

@Suite struct RedactionConfigTests {
    static let destination = """
        destinations:
          main:
            url: https://example.invalid
            project: acme-beta-2
            source: appcrashlog
            api_key: secret-key-123
            default_submitter: true
            parameters:
              summary: "{{line}}"

        """

    @Test func defaultsWithoutSection() throws {
        let config = try Config.parse(Self.destination, file: "test.yaml")
        #expect(config.redaction.useDefaults)
        #expect(!config.redaction.allowCoredumpEnviron)
        #expect(config.redaction.scrubber.patterns.count == Scrubber.defaultRules.count)
        #expect(config.maximumLineBytes == 64 << 10)
    }

    @Test func readsRulesAndSwitches() throws {
        let yaml =
            Self.destination + """
                redact:
                  defaults: false
                  allow_coredump_environ: true
                  rules:
                    - pattern: 'serial=\\w+'
                    - pattern: 'imei (\\d{4})\\d+'
                      replacement: 'imei $1[redacted]'
                watch:
                  max_line_bytes: 4096
                """
        let config = try Config.parse(yaml, file: "test.yaml")
        #expect(!config.redaction.useDefaults)
        #expect(config.redaction.allowCoredumpEnviron)
        #expect(config.redaction.rules.count == 2)
        #expect(
            config.redaction.scrubber.scrub("serial=X1 imei 35123456789")
                == "[redacted] imei 3512[redacted]")
        #expect(config.redaction.scrubber.scrub("password=kept") == "password=kept")
        #expect(config.maximumLineBytes == 4096)
    }

    @Test func environTemplateWarns() throws {
        let yaml = Self.destination.replacingOccurrences(
            "summary: \"{{line}}\"",
            with: "summary: \"{{line}}\"\n      environment: \"{{journal.COREDUMP_ENVIRON}}\"")
        let config = try Config.parse(yaml, file: "test.yaml")
        #expect(config.warnings.map(\.key) == ["destinations.main.parameters.environment"])
        let allowed = try Config.parse(
            yaml + "redact:\n  allow_coredump_environ: true\n", file: "test.yaml")
        #expect(allowed.warnings.isEmpty)
    }

    static let errorCases: [ConfigErrorTests.Case] = [
        ConfigErrorTests.Case(
            name: "invalid rule pattern",
            yaml: "redact:\n  rules:\n    - pattern: 'a('\n",
            expected:
                "test.yaml:12:16: redact.rules[0].pattern: invalid regular expression at offset 2: missing closing parenthesis"
        ),
        ConfigErrorTests.Case(
            name: "replacement names a missing group",
            yaml: "redact:\n  rules:\n    - pattern: 'a'\n      replacement: '$1'\n",
            expected:
                "test.yaml:12:16: redact.rules[0].pattern: invalid regular expression at offset 0: replacement '$1' has an invalid group reference; use $1, ${1} or ${name} for a group of the pattern and $$ for a dollar sign"
        ),
        ConfigErrorTests.Case(
            name: "unknown redact key",
            yaml: "redact:\n  default: true\n",
            expected:
                "test.yaml:11:3: redact.default: unknown key; check its spelling against the documented keys"
        ),
        ConfigErrorTests.Case(
            name: "line limit out of range",
            yaml: "watch:\n  max_line_bytes: 10\n",
            expected:
                "test.yaml:11:19: watch.max_line_bytes: invalid value '10': expected a whole number from 1024 to 16777216"
        ),
    ]

    @Test(arguments: errorCases)
    func reportsProblem(_ testCase: ConfigErrorTests.Case) {
        let error = #expect(throws: ConfigErrors.self) {
            try Config.parse(Self.destination + testCase.yaml, file: "test.yaml")
        }
        #expect(error?.description == testCase.expected)
    }
}

@Suite struct PatternCheckTests {
    @Test(arguments: [
        "(a+)+", "(.*)*", #"(\w+\s?)*"#, "^(a|b+)*c", "(x(ab*)+)", "(a+){2,}", "((a)+b)+",
    ])
    func warnsAboutNestedRepeat(_ pattern: String) {
        #expect(PatternCheck.nestedQuantifier(in: pattern) != nil)
    }

    @Test(arguments: [
        #"(?<program>[\w.-]+)\[(?<pid>\d+)\]: segfault at"#, "(ab)+", "(a+)?", "[(a+)+]",
        #"\(a+\)+"#,
        "(?>a+)+", "(a++)+", "(a+)++", "(a{2,3})+",
    ])
    func acceptsSafePattern(_ pattern: String) {
        #expect(PatternCheck.nestedQuantifier(in: pattern) == nil)
    }

    @Test func checkConfigWarns() throws {
        let yaml =
            RedactionConfigTests.destination + """
                detect:
                  destination: main
                  matchers:
                    - name: slow
                      pattern: '(\\w+\\s?)*:$'
                """
        let config = try Config.parse(yaml, file: "test.yaml")
        #expect(config.warnings.count == 1)
        #expect(config.warnings.first?.key == "detect.matchers[0].pattern")
        #expect(config.warnings.first?.message.contains("'(\\w+\\s?)*'") == true)
    }
}
