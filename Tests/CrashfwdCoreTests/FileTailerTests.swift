import Glibc
import Testing

@testable import CrashfwdCore

/// The tailer on real files that are appended to, renamed and truncated under it.
@Suite struct FileTailerTests {
    final class Fixture {
        let directory: String
        var log: String { "\(directory)/app.log" }
        var state: String { "\(directory)/state" }

        init() throws {
            var template = Array("/tmp/crashfwd-tailer-XXXXXX".utf8CString)
            let created = template.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
            }
            guard created else { throw SystemError("mkdtemp") }
            directory = String(
                decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            try FileIO.makeDirectory(state)
        }

        deinit { _ = system("rm -rf '\(directory)'") }

        func append(_ text: String, to path: String? = nil) {
            let descriptor = open(path ?? log, O_WRONLY | O_APPEND | O_CREAT, 0o644)
            _ = text.withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
        }

        func tailer(startAt: FileSourceConfig.StartPosition = .beginning, path: String? = nil)
            throws -> FileTailer
        {
            try FileTailer(
                sources: [FileSourceConfig(path: path ?? log, startAt: startAt)],
                stateDirectory: state)
        }
    }

    func texts(_ tailer: FileTailer) throws -> [String] { try tailer.read(limit: 1000).map(\.text) }

    @Test func readsAppendedLines() throws {
        let fixture = try Fixture()
        fixture.append("one\ntwo\n")
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["one", "two"])
        fixture.append("three\npartial")
        #expect(try texts(tailer) == ["three"])
        fixture.append(" line\n")
        #expect(try texts(tailer) == ["partial line"])
    }

    @Test func startAtEndSkipsExistingContent() throws {
        let fixture = try Fixture()
        fixture.append("old\n")
        let tailer = try fixture.tailer(startAt: .end)
        #expect(try texts(tailer).isEmpty)
        fixture.append("new\n")
        #expect(try texts(tailer) == ["new"])
    }

    @Test func followsRotationByRename() throws {
        let fixture = try Fixture()
        fixture.append("before\n")
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["before"])
        fixture.append("last words of the old file\n")
        rename(fixture.log, "\(fixture.log).1")
        fixture.append("first line of the new file\n")
        #expect(try texts(tailer) == ["last words of the old file", "first line of the new file"])
    }

    @Test func rereadsTruncatedFile() throws {
        let fixture = try Fixture()
        fixture.append("a fairly long first line\n")
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["a fairly long first line"])
        truncate(fixture.log, 0)
        fixture.append("after\n")
        #expect(try texts(tailer) == ["after"])
        #expect(tailer.warnings.contains { $0.message.contains("truncated") })
    }

    @Test func picksUpFileCreatedLater() throws {
        let fixture = try Fixture()
        let tailer = try fixture.tailer(path: "\(fixture.directory)/*.log")
        #expect(try texts(tailer).isEmpty)
        fixture.append("hello\n", to: "\(fixture.directory)/late.log")
        #expect(try texts(tailer) == ["hello"])
    }

    @Test func resumesFromSavedPosition() throws {
        let fixture = try Fixture()
        fixture.append("one\ntwo\n")
        do {
            let tailer = try fixture.tailer()
            #expect(try texts(tailer) == ["one", "two"])
            try tailer.savePositions { _ in nil }
        }
        fixture.append("three\n")
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["three"])
    }

    @Test func readsFileRotatedWhileStopped() throws {
        let fixture = try Fixture()
        fixture.append("one\n")
        do {
            let tailer = try fixture.tailer()
            #expect(try texts(tailer) == ["one"])
            try tailer.savePositions { _ in nil }
        }
        fixture.append("written before the rotation\n")
        rename(fixture.log, "\(fixture.log).1")
        fixture.append("first line of the new file\n")

        let tailer = try fixture.tailer()
        let records = try tailer.read(limit: 1000)
        #expect(
            records.map(\.text) == ["written before the rotation", "first line of the new file"])
        #expect(records.allSatisfy { $0.source == "file:\(fixture.log)" })
    }

    @Test func newContentOnSameInodeReadFromStart() throws {
        let fixture = try Fixture()
        fixture.append("old line\n")
        do {
            let tailer = try fixture.tailer()
            #expect(try texts(tailer) == ["old line"])
            try tailer.savePositions { _ in nil }
        }
        truncate(fixture.log, 0)
        fixture.append("a longer first line of new content\nsecond\n")
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["a longer first line of new content", "second"])
    }

    @Test func warnsWhenRotatedFileIsGone() throws {
        let fixture = try Fixture()
        fixture.append("one\n")
        do {
            let tailer = try fixture.tailer()
            _ = try texts(tailer)
            try tailer.savePositions { _ in nil }
        }
        unlink(fixture.log)
        fixture.append("new\n")
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["new"])
        #expect(
            tailer.warnings.contains {
                $0.message.contains("rotated or removed while crashfwd was stopped")
            })
    }

    @Test func savedPositionStopsAtPendingBlock() throws {
        let fixture = try Fixture()
        fixture.append("one\ntwo\nthree\n")
        do {
            let tailer = try fixture.tailer()
            let records = try tailer.read(limit: 1000)
            let pending = records[1].position
            try tailer.savePositions { _ in pending }
        }
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["two", "three"])
    }

    @Test func cutsOverlongLine() throws {
        let fixture = try Fixture()
        fixture.append(String(repeating: "x", count: 200_000) + "\nnext\n")
        let tailer = try FileTailer(
            sources: [FileSourceConfig(path: fixture.log, startAt: .beginning)],
            stateDirectory: fixture.state, maximumLineBytes: 1000)
        let lines = try texts(tailer)
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix("[line cut at 1000 bytes]") == true)
        #expect(lines.last == "next")
    }

    @Test func invalidUTF8BecomesReplacementCharacters() throws {
        let fixture = try Fixture()
        let descriptor = open(fixture.log, O_WRONLY | O_CREAT, 0o644)
        let bytes: [UInt8] = [0x61, 0xff, 0xfe, 0x00, 0x62, 0x0a]
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        let tailer = try fixture.tailer()
        #expect(try texts(tailer) == ["a\u{FFFD}\u{FFFD}\u{0}b"])
    }
}
