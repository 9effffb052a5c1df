import CrashfwdCore
import Testing

@Suite struct DetectConfigTests {
    private func config(detect: String, summary: String = "{{program}} {{top_frame}}") -> String {
        """
        destinations:
          main:
            url: https://example.invalid
            project: acme-beta-2
            source: appcrashlog
            api_key: secret-key-123
            parameters:
              submitter: qa@example.com
              summary: "\(summary)"
        detect:
        \(detect)
        """
    }

    @Test func presetsAllExpandToMatchers() throws {
        let text = config(detect: "  destination: main\n  presets: [all]")
        let parsed = try Config.parse(text, file: "test.yaml")
        let kinds = Set(parsed.matchers.compactMap { $0.fields.first { $0.key == "kind" }?.value })
        #expect(kinds == Set(Presets.names))
        #expect(parsed.matchers.allSatisfy { $0.destination == "main" })
    }

    @Test func unknownPresetIsRejected() {
        let text = config(detect: "  destination: main\n  presets: [segfault, perl]")
        #expect(throws: ConfigErrors.self) { try Config.parse(text, file: "test.yaml") }
    }

    @Test(arguments: [["all", "segfaults"], ["segfaults", "all"], ["python", "segfaults"]])
    func misspelledPresetIsRejected(_ names: [String]) throws {
        let list = names.joined(separator: ", ")
        let text = config(detect: "  destination: main\n  presets: [\(list)]")
        let error = try #require(throws: ConfigErrors.self) {
            try Config.parse(text, file: "test.yaml")
        }
        try #require(error.problems.count == 1, "\(error)")
        let problem = error.problems[0]
        let index = try #require(names.firstIndex(of: "segfaults"))
        let line = text.split(separator: "\n", omittingEmptySubsequences: false)[problem.line - 1]
        let column = line.index(line.startIndex, offsetBy: problem.column - 1)
        #expect(line[column...].hasPrefix("segfaults"), "\(problem)")
        #expect(problem.key == "detect.presets[\(index)]")
        #expect(problem.message.contains("unknown preset 'segfaults'"))
        #expect(problem.message.contains("all, systemd-coredump, kernel-oops"))
        #expect(problem.message.contains("segfault,"))
    }

    @Test func presetsNeedDefaultDestination() {
        let text = config(detect: "  presets: [segfault]")
        #expect(throws: ConfigErrors.self) { try Config.parse(text, file: "test.yaml") }
    }

    @Test func foldingSectionIsRead() throws {
        let text = config(
            detect: "  destination: main\n  presets: [python]\n"
                + "  folding: {window: 5m, summary: false, max_tickets_per_hour: 10}")
        let parsed = try Config.parse(text, file: "test.yaml")
        #expect(
            parsed.folding
                == FoldingConfig(enabled: true, window: 300, summary: false, maxTicketsPerHour: 10))
    }

    @Test func summaryCapturesAreTemplateVariables() throws {
        let text = config(
            detect: "  destination: main\n  presets: [go]\n  folding: {window: 10m}",
            summary: "{{program}} {{occurrences}} {{first_seen}} {{message}}")
        #expect(throws: Never.self) { try Config.parse(text, file: "test.yaml") }
    }

    @Test func summaryCapturesNeedFolding() {
        let text = config(
            detect: "  destination: main\n  presets: [go]", summary: "{{occurrences}}")
        #expect(throws: ConfigErrors.self) { try Config.parse(text, file: "test.yaml") }
    }

    @Test func matcherBlockKeysAreRead() throws {
        let text = config(
            detect: """
                  destination: main
                  matchers:
                    - name: trace
                      pattern: '^TRACE (?<program>\\\\S+)'
                      continuation: '^  at (?<top_frame>.*)'
                      end: '^END'
                      max_lines: 50
                      max_bytes: 4096
                      flush_timeout: 500ms
                      literals: [TRACE]
                """)
        let parsed = try Config.parse(text, file: "test.yaml")
        try #require(parsed.matchers.count == 1)
        let matcher = parsed.matchers[0]
        #expect(matcher.continuation == "^  at (?<top_frame>.*)")
        #expect(matcher.end == "^END")
        #expect(matcher.maxLines == 50)
        #expect(matcher.maxBytes == 4096)
        #expect(matcher.flushTimeout == 0.5)
        #expect(matcher.literals == ["TRACE"])
    }
}
