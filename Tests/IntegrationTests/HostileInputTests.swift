import Foundation
import Testing

/// Lines any local process could write, through the real daemon into the sandbox: each must
/// arrive as inert text, and none may change the ticket's structure or the daemon's memory
/// bound.
@Suite(.serialized)
struct HostileInputTests {
    /// Captures everything after `FATAL ` as `program`, so the hostile text lands in the
    /// summary and the description.
    static let captureAllMatcher = """
            - name: fatal
              pattern: 'FATAL (?<program>.*)$'
              fields: { signal: SIGABRT }
        """

    struct Case: Sendable {
        var name: String
        var payload: [UInt8]
        /// Text the ticket's summary must contain.
        var expected: String
        /// Text the whole ticket must not contain.
        var forbidden: [String]
    }

    static let cases: [Case] = [
        Case(
            name: "invalid-utf8", payload: [0x61, 0xFF, 0xFE, 0x62, 0xC0, 0xAF, 0x63],
            expected: "a\u{FFFD}\u{FFFD}b\u{FFFD}\u{FFFD}c", forbidden: []),
        Case(
            name: "nul", payload: Array("a\u{0}b".utf8), expected: "a\u{2400}b",
            forbidden: ["\u{0}"]),
        Case(
            name: "ansi", payload: Array("\u{1B}[31mred\u{1B}[0m \u{1B}]0;pwned\u{07}done".utf8),
            expected: "red done", forbidden: ["\u{1B}", "pwned"]),
        Case(
            name: "template", payload: Array("{{device.hostname}} {{report_id}}".utf8),
            expected: "{{device.hostname}} {{report_id}}",
            forbidden: [ProcessInfo.processInfo.hostName]),
        Case(
            name: "json",
            payload: Array(#"x"},"submitter":"evil@example.com","severity":"Low","y":{"z":"#.utf8),
            expected: #"x"},"submitter":"[redacted-email]","severity":"Low","y":{"z":"#,
            forbidden: ["evil@example.com"]),
        Case(
            name: "path", payload: Array("../../../../etc/shadow /proc/self/environ".utf8),
            expected: "../../../../etc/shadow /proc/self/environ", forbidden: ["root:"]),
        Case(
            name: "secret",
            payload: Array("password=hunter2 Authorization: Bearer abcdefgh12345678".utf8),
            expected: "password=[redacted] Authorization: Bearer [redacted]",
            forbidden: ["hunter2", "abcdefgh12345678"]),
    ]

    @Test func hostileLinesArriveAsText() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(
            config: CrashfwdProcess.config(sandbox: sandbox, matchers: Self.captureAllMatcher))
        try crashfwd.start()
        var bytes: [UInt8] = []
        for testCase in Self.cases {
            bytes += Array("FATAL case-\(testCase.name) ".utf8) + testCase.payload + [10]
        }
        try Self.appendBytes(bytes, to: crashfwd.watchedFile)

        try waitUntil("one ticket per hostile line") {
            try sandbox.tickets().count >= Self.cases.count
        }
        #expect(crashfwd.stop() == 0)
        let tickets = try sandbox.tickets()
        #expect(tickets.count == Self.cases.count)
        for testCase in Self.cases {
            let prefix = "case-\(testCase.name) "
            let ticket = tickets.first { $0.parameter("summary")?.hasPrefix(prefix) == true }
            let summary = try #require(
                ticket?.parameter("summary"), "no ticket for \(testCase.name)")
            #expect(
                summary == prefix + testCase.expected + " crashed with SIGABRT", "\(testCase.name)")
            #expect(ticket?.parameter("submitter") == "qa-bot@example.com", "\(testCase.name)")
            #expect(ticket?.parameter("severity") == "Medium", "\(testCase.name)")
            #expect(ticket?.attachments.isEmpty == true, "\(testCase.name)")
            let all = ticket?.parameters.values.map { "\($0)" }.joined(separator: "\n") ?? ""
            for text in testCase.forbidden {
                #expect(!all.contains(text), "\(testCase.name) ticket contains '\(text)'")
            }
        }
    }

    /// A 100 MB line without a newline is cut at `watch.max_line_bytes` and read with a
    /// bounded buffer, so the daemon's peak resident memory stays far below the line size.
    @Test func hugeLineKeepsMemoryBounded() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(
            config: CrashfwdProcess.config(sandbox: sandbox, matchers: Self.captureAllMatcher))
        try crashfwd.start()
        let before = try Self.memory(pid: crashfwd.pid)

        try Self.appendBytes(Array("FATAL case-huge ".utf8), to: crashfwd.watchedFile)
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
        for _ in 0..<100 { try Self.appendBytes(chunk, to: crashfwd.watchedFile) }
        try Self.appendBytes(Array("\nFATAL case-after\n".utf8), to: crashfwd.watchedFile)

        try waitUntil("the line after the huge one is ticketed", timeout: 60) {
            try sandbox.tickets().contains {
                $0.parameter("summary")?.hasPrefix("case-after") == true
            }
        }
        let after = try Self.memory(pid: crashfwd.pid)
        #expect(crashfwd.stop() == 0)

        // 64 MB is well above the daemon's own footprint plus one 64 KiB line, and well
        // below the 100 MB a daemon that buffered the whole line would need.
        #expect(
            after.peakKilobytes < 64 * 1024,
            "VmHWM before \(before.peakKilobytes) kB, after \(after.peakKilobytes) kB")
        let tickets = try sandbox.tickets()
        let huge = try #require(
            tickets.first { $0.parameter("summary")?.hasPrefix("case-huge") == true })
        let summary = huge.parameter("summary") ?? ""
        #expect(summary.contains("[line cut at 65536 bytes]"))
        #expect(summary.utf8.count < 70_000)
        #expect(tickets.count == 2)
    }

    struct Memory {
        var residentKilobytes: Int
        var peakKilobytes: Int
    }

    /// Reads VmRSS and VmHWM (the peak resident set) from `/proc/PID/status`.
    static func memory(pid: Int32) throws -> Memory {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func kilobytes(_ field: String) throws -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix("\(field):") }
            let number = line?.split(separator: " ", omittingEmptySubsequences: true).dropFirst()
                .first
            guard let number, let value = Int(number) else {
                throw TestSupportError("no \(field) in /proc/\(pid)/status")
            }
            return value
        }
        return Memory(
            residentKilobytes: try kilobytes("VmRSS"), peakKilobytes: try kilobytes("VmHWM"))
    }

    static func appendBytes(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data(bytes))
    }
}
