import Foundation

/// Receives one multipart file part and streams it to a temporary file, hashing as it goes,
/// so memory use does not grow with the file size.
///
/// Bytes beyond `maxBytes` are counted but not written, and `finish()` then reports the
/// upload as too large. `discard()` or `finish()` removes or hands over the temporary file.
final class UploadSink {
    let temporaryPath: String
    let maxBytes: Int64
    private(set) var fileName: String?
    private(set) var size: Int64 = 0
    private(set) var failure: String?
    private var descriptor: Int32
    private let digest = SHA256Digest()

    init(directory: String, maxBytes: Int64) throws {
        temporaryPath = "\(directory)/upload-\(UUID().uuidString)"
        self.maxBytes = maxBytes
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SystemCallError(operation: "open", path: temporaryPath)
        }
    }

    var isTooLarge: Bool { size > maxBytes }

    /// Appends one chunk of the file part; the first chunk sets the client's file name.
    func append(_ bytes: UnsafeRawBufferPointer, clientFileName: String?) {
        if fileName == nil, let clientFileName {
            fileName = Self.sanitize(clientFileName)
        }
        size += Int64(bytes.count)
        guard !isTooLarge, failure == nil, descriptor >= 0 else { return }
        do {
            try writeAll(descriptor, bytes, path: temporaryPath)
            digest.update(bytes)
        } catch {
            failure = "\(error)"
        }
    }

    /// Flushes the file and returns its SHA-256; the caller then owns `temporaryPath`.
    func finish() throws -> String {
        defer { closeDescriptor() }
        if let failure {
            throw UploadError(description: failure)
        }
        guard fsync(descriptor) == 0 else {
            throw SystemCallError(operation: "fsync", path: temporaryPath)
        }
        return digest.finalize()
    }

    /// Closes and removes the temporary file.
    func discard() {
        closeDescriptor()
        unlink(temporaryPath)
    }

    private func closeDescriptor() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        _ = digest.finalize()
    }

    /// Reduces a client-supplied file name to one safe path component: the text after the
    /// last `/` or `\`, without control characters, and never empty, `.` or `..`.
    static func sanitize(_ name: String) -> String {
        let lastComponent =
            name.split(separator: "/", omittingEmptySubsequences: false).last
            .map(String.init) ?? name
        let baseName =
            lastComponent.split(separator: "\\", omittingEmptySubsequences: false).last
            .map(String.init) ?? lastComponent
        let cleaned = String(
            String.UnicodeScalarView(
                baseName.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }))
        if cleaned.isEmpty || cleaned == "." || cleaned == ".." {
            return "upload.bin"
        }
        return cleaned
    }
}

struct UploadError: Error, CustomStringConvertible {
    let description: String
}
