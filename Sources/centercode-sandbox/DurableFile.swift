import Foundation

/// Writes `data` to `path` so readers see either the old or the whole new file.
///
/// The bytes go to a temporary file in the same directory, which is fsynced and renamed
/// over `path`. The directory is then fsynced so the rename survives a crash.
func writeFileAtomically(_ data: Data, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    let temporaryPath = "\(path).tmp-\(getpid())-\(UUID().uuidString)"
    let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
        throw SystemCallError(operation: "open", path: temporaryPath)
    }
    do {
        try writeAll(descriptor, data, path: temporaryPath)
        guard fsync(descriptor) == 0 else {
            throw SystemCallError(operation: "fsync", path: temporaryPath)
        }
    } catch {
        close(descriptor)
        unlink(temporaryPath)
        throw error
    }
    close(descriptor)
    try renameDurably(from: temporaryPath, to: path, directory: directory)
}

/// Renames `source` over `destination` and fsyncs `directory`, which contains both.
func renameDurably(from source: String, to destination: String, directory: String) throws {
    guard rename(source, destination) == 0 else {
        let error = SystemCallError(operation: "rename", path: destination)
        unlink(source)
        throw error
    }
    let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
        fsync(directoryDescriptor)
        close(directoryDescriptor)
    }
}

/// Writes every byte of `data` to `descriptor`, retrying short writes and EINTR.
func writeAll(_ descriptor: Int32, _ data: Data, path: String) throws {
    try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
        try writeAll(descriptor, buffer, path: path)
    }
}

func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    while offset < buffer.count {
        let written = write(descriptor, base + offset, buffer.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            throw SystemCallError(operation: "write", path: path)
        }
        offset += written
    }
}

/// A failed system call, with errno's text.
struct SystemCallError: Error, CustomStringConvertible {
    let operation: String
    let path: String
    let code: Int32

    init(operation: String, path: String) {
        self.operation = operation
        self.path = path
        self.code = errno
    }

    var description: String {
        "\(operation) failed for '\(path)': \(String(cString: strerror(code)))"
    }
}
