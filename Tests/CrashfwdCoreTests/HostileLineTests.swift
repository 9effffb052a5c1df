import FoundationEssentials
import Testing

@testable import CrashfwdCore

/// Hostile lines through the detector, the scrubber and the renderer: the rendered body
/// stays one JSON object with the configured keys, and captured text stays inert.
@Suite struct HostileLineTests {
    static let matchers = [
        MatcherConfig(
            name: "segfault", destination: "main",
            start: #"(?<program>[\w.-]+)\[(?<pid>\d+)\]: segfault at"#, contextBefore: 1,
            fields: [(key: "signal", value: "SIGSEGV")]),
        MatcherConfig(name: "capture-all", destination: "main", start: "FATAL (?<program>.*)$"),
        MatcherConfig(
            name: "journal", destination: "main", journal: true, journalMatches: ["PRIORITY=2"],
            start: nil),
    ]

    static let lines: [(name: String, text: String)] = [
        (
            "invalid utf-8",
            String(
                decoding: Array("FATAL a".utf8) + [0xFF, 0xC0, 0xAF] + Array("b".utf8),
                as: UTF8.self)
        ),
        ("nul", "FATAL a\u{0}b camd[1]: segfault at 0"),
        ("ansi", "FATAL \u{1B}[2J\u{1B}[31mred\u{1B}]8;;http://x\u{07}link\u{1B}]8;;\u{07}"),
        ("template", "FATAL {{device.hostname}} {{journal.COREDUMP_ENVIRON}} {{"),
        ("json", #"FATAL "},"submitter":"x","a":["#),
        ("backslashes", #"FATAL \u0000 \" \\ \/"#),
        ("program name", "{{x}}[1]: segfault at 0"),
        ("long", "FATAL " + String(repeating: "\u{1B}[0m\u{0}", count: 10_000)),
    ]

    static func renderer() throws -> ReportRenderer {
        let specs = try [
            ("summary", "{{program}} ({{signal | default: none}})"), ("description", "{{context}}"),
            ("environ", "{{journal.COREDUMP_ENVIRON}}"),
        ].map { ParameterSpec(name: $0.0, template: try Template($0.1)) }
        let destination = DestinationConfig(
            name: "main", baseURL: "https://example.invalid", project: "p", source: "s",
            apiKey: "k",
            apiKeyOrigin: "test", feedbackIDField: "id", hasDefaultSubmitter: true,
            parameters: specs,
            allowPlainHTTP: false, timeout: 30, filePartName: "file")
        return ReportRenderer(
            destination: destination,
            device: DeviceFacts(
                hostname: "rig01", machineID: "m", bootID: "b", kernel: "6.1", os: "Debian"))
    }

    static func record(_ text: String, sequence: UInt64, journal: Bool = false) -> LogRecord {
        LogRecord(
            source: journal ? "journal" : "file:/var/log/app.log", stream: "app", text: text,
            fields: journal
                ? ["PRIORITY": "2", "MESSAGE": text, "COREDUMP_ENVIRON": "TOKEN=abc"] : [:],
            position: RecordPosition(
                sequence: sequence, id: "1:1:\(sequence)", resume: "\(sequence)"),
            timestamp: 1_700_000_000_000_000)
    }

    /// Every preset, with each hostile text inside a kernel segfault line, a Python
    /// traceback and a Go panic.
    @Test(arguments: lines.indices)
    func presetsKeepTextInert(_ index: Int) throws {
        let (name, text) = Self.lines[index]
        let payload = String(text.dropFirst("FATAL ".count))
        let presets = Presets.matchers(named: ["all"], destination: "main").matchers
        let detector = try Detector(matchers: presets)
        let block = [
            "Dec  4 10:00:02 rig01 kernel: camd[4101]: segfault at 0 ip 0 sp 0 error 4 in camd[5000+20] \(payload)",
            "Dec  4 10:00:03 rig01 app[77]: Traceback (most recent call last):",
            "Dec  4 10:00:03 rig01 app[77]:   File \"/srv/app.py\", line 3, in <module>",
            "Dec  4 10:00:03 rig01 app[77]: ValueError: \(payload)",
            "Dec  4 10:00:04 rig01 gosvc[88]: panic: \(payload)",
            "Dec  4 10:00:04 rig01 gosvc[88]: goroutine 1 [running]:",
            "Dec  4 10:00:09 rig01 other[9]: done",
        ]
        var detections: [Detection] = []
        for (offset, line) in block.enumerated() {
            detections += detector.process(
                Self.record(line, sequence: UInt64(offset + 1)), now: Double(offset))
        }
        detections += detector.flushAll()
        #expect(detections.contains { $0.matcher == "segfault" }, "\(name)")
        try Self.checkInert(detections, name: name)
    }

    @Test(arguments: lines.indices)
    func lineRendersAsInertText(_ index: Int) throws {
        let (name, text) = Self.lines[index]
        let detector = try Detector(matchers: Self.matchers)
        let detections =
            detector.process(Self.record(text, sequence: 1), now: 0)
            + detector.process(Self.record(text, sequence: 2, journal: true), now: 0)
            + detector.flushAll()
        #expect(!detections.isEmpty, "\(name)")
        try Self.checkInert(detections, name: name)
    }

    /// Checks that each scrubbed, rendered detection is one JSON object with the configured
    /// keys, no expanded template, no COREDUMP_ENVIRON and no control characters.
    static func checkInert(_ detections: [Detection], name: String) throws {
        let renderer = try Self.renderer()
        for detection in detections {
            let scrubbed = Scrubber.standard.scrub(detection)
            let body = try renderer.body(for: scrubbed, reportID: "r")
            let json = try JSONCoding.decode(JSONValue.self, from: body)
            guard case .object(let object) = json else {
                Issue.record("\(name): body is not a JSON object")
                continue
            }
            #expect(
                Set(object.keys).isSubset(of: ["summary", "description"]),
                "\(name): keys \(object.keys)")
            let values = object.values.compactMap(\.text).joined(separator: "\n")
            #expect(
                !values.contains("expanded-hostname"),
                "\(name): a template in the line was expanded")
            #expect(!values.contains("TOKEN=abc"), "\(name): COREDUMP_ENVIRON was rendered")
            #expect(
                !values.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{0}" },
                "\(name): control character kept")
        }
    }
}
