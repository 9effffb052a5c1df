import Testing

@testable import CrashfwdCore

@Suite struct DetectPrefilterTests {
    @Test(
        arguments: [
            (#"(?<program>[\w.-]+)\[(?<pid>\d+)\]: segfault at"#, "]: segfault at"),
            (#"^Traceback \(most recent call last\):"#, "Traceback (most recent call last):"),
            (#"colou?r mismatch"#, "r mismatch"),
            (#"panic|fatal"#, nil),
            (#"(?i)segfault"#, nil),
            (#"\d+ items"#, " items"),
            (#"ab"#, nil),
        ] as [(String, String?)])
    func requiredLiteralOfPattern(_ pattern: String, _ expected: String?) {
        #expect(RequiredLiteral.extract(from: pattern) == expected)
    }

    @Test func literalScannerFindsEveryOccurrence() throws {
        let scanner = try #require(
            LiteralScanner(literals: [Array("panic: ".utf8), Array("segfault at".utf8)]))
        let text = Array("x panic: a\nsegfault at 0 panic: b\n".utf8)
        var hits: [(offset: Int, literal: Int)] = []
        text.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            scanner.allMatches(
                in: base, from: 0, to: buffer.count, limit: buffer.count, into: &hits)
        }
        #expect(hits.map(\.offset) == [2, 11, 25])
        #expect(hits.map(\.literal) == [0, 1, 0])
    }
}
