import Foundation
import Testing

@testable import CrashfwdCore

/// Each test gets a fresh directory, removed in deinit.
@Suite final class AttachFileTests {
    let directory: String

    init() throws {
        var template = Array("/tmp/crashfwd-attach-unit-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
        }
        try #require(created)
        directory = String(cString: template)
        try FileManager.default.createDirectory(
            atPath: "\(directory)/allowed", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var allowed: String { "\(directory)/allowed" }

    @Test func regularFileOpened() throws {
        try Data("core".utf8).write(to: URL(fileURLWithPath: "\(allowed)/core.1"))
        let file = try SafeFile.open("\(allowed)/core.1", allowedDirectories: [allowed])
        #expect(file.size == 4)
        #expect(file.realPath == "\(allowed)/core.1")
    }

    @Test func symlinkInsideAllowedRejected() throws {
        try Data("core".utf8).write(to: URL(fileURLWithPath: "\(allowed)/core.1"))
        try FileManager.default.createSymbolicLink(
            atPath: "\(allowed)/link", withDestinationPath: "\(allowed)/core.1")
        #expect(throws: AttachmentRejection.self) {
            try SafeFile.open("\(allowed)/link", allowedDirectories: [allowed])
        }
    }

    @Test(arguments: ["relative/core", "/tmp/./core", "/outside/core"])
    func pathOutsideAllowedRejected(path: String) throws {
        #expect(throws: AttachmentRejection.self) {
            try SafeFile.open(path, allowedDirectories: [allowed])
        }
        #expect(throws: AttachmentRejection.self) {
            try SafeFile.open(allowed, allowedDirectories: [allowed])
        }
    }

    @Test func gzipRoundTrips() throws {
        var bytes: [UInt8] = []
        for index in 0..<3_000_000 { bytes.append(UInt8(truncatingIfNeeded: index * 7 / 3)) }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(allowed)/core.2"))
        let source = try SafeFile.open("\(allowed)/core.2", allowedDirectories: [allowed])
        let size = try FileStaging.gzip(source, to: "\(directory)/core.2.gz")
        #expect(size > 0)
        #expect(size < UInt64(bytes.count))
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", "\(directory)/core.2.gz"]
        process.standardOutput = output
        try process.run()
        let unpacked = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(unpacked == Data(bytes))
    }

    @Test func sameFilesystemHardLinked() throws {
        try Data("core".utf8).write(to: URL(fileURLWithPath: "\(allowed)/core.3.zst"))
        let source = try SafeFile.open("\(allowed)/core.3.zst", allowedDirectories: [allowed])
        #expect(try FileStaging.linkOrCopy(source, to: "\(directory)/staged") == 4)
        var original = stat()
        var staged = stat()
        #expect(stat("\(allowed)/core.3.zst", &original) == 0)
        #expect(stat("\(directory)/staged", &staged) == 0)
        #expect(original.st_ino == staged.st_ino)
    }

    @Test func oldReportDecodesWithoutAttachments() throws {
        let detection = Detection(
            matcher: "m", destination: "d", source: "s", captures: [:], lines: ["x"],
            firstRecordID: "1", timestamp: 1)
        var report = Report(id: "ab", destination: "d", detection: detection, body: nil, now: 1)
        report.attachments = [
            Attachment(
                element: "logs", kind: .excerpt, origin: "o", stagedPath: "/p", fileName: "f",
                size: 3)
        ]
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(try JSONCoding.encode(report)))
                as? [String: Any])
        #expect(
            try JSONCoding.decode(Report.self, from: Array(JSONCoding.encode(report))) == report)
        object["attachments"] = nil
        let old = try JSONSerialization.data(withJSONObject: object)
        #expect(try JSONCoding.decode(Report.self, from: Array(old)).attachments == [])
    }
}
