import Foundation

/// A fresh directory under `$TMPDIR` (or `/tmp`), removed with its contents on deinit
/// unless the environment sets `CRASHFWD_KEEP_TEST_DIRS=1`.
final class TemporaryDirectory {
    let path: String

    init(prefix: String = "crashfwd-test") throws {
        let base =
            ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard created else {
            throw TestSupportError(
                "Cannot create a temporary directory under \(base): errno \(errno)")
        }
        path = String(
            decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Returns the path of `name` inside this directory.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit {
        if ProcessInfo.processInfo.environment["CRASHFWD_KEEP_TEST_DIRS"] == "1" {
            FileHandle.standardError.write(Data("Keeping test directory \(path)\n".utf8))
            return
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A failure in the test support code, with a message that names what to check.
struct TestSupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
