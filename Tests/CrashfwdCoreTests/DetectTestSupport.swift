import CrashfwdCore

/// Helpers shared by the detection tests.
enum DetectTestSupport {
    /// The directory of the crash corpus fixtures.
    static let corpusDirectory: String = {
        let testsDirectory = String(
            #filePath.split(separator: "/").dropLast(2).joined(separator: "/"))
        return "/\(testsDirectory)/Fixtures/corpus"
    }()

    static func presetMatchers(_ names: [String] = ["all"]) -> [MatcherConfig] {
        Presets.matchers(named: names, destination: "beta").matchers
    }

    /// Feeds `lines` as one file's lines, one millisecond apart, then flushes. The record id
    /// of each line is its 1-based line number.
    static func detect(
        _ lines: [String], matchers: [MatcherConfig] = presetMatchers(),
        source: String = "file:/var/log/test.log"
    ) throws -> [Detection] {
        let detector = try Detector(matchers: matchers)
        var found: [Detection] = []
        for (index, line) in lines.enumerated() {
            var text = line
            let position = RecordPosition(sequence: UInt64(index), id: "\(index + 1)", resume: "")
            found += text.withUTF8 { buffer in
                detector.process(
                    lineBytes: UnsafeRawBufferPointer(buffer), source: source, position: position,
                    timestamp: UInt64(index), now: Double(index) / 1000)
            }
        }
        found += detector.flushAll()
        return found.sorted { (Int($0.firstRecordID) ?? 0) < (Int($1.firstRecordID) ?? 0) }
    }

    /// Splits file contents into lines, without a final empty line.
    static func lines(of text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func readCorpusLog(_ name: String) throws -> [String] {
        let path = "\(corpusDirectory)/\(name)"
        guard let file = fopen(path, "r") else { throw MissingFixture(path: path) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return lines(of: String(decoding: bytes, as: UTF8.self))
    }

    struct MissingFixture: Error {
        var path: String
    }
}

#if canImport(Glibc)
    import Glibc
#endif
