#if canImport(Glibc)
    import Glibc
#endif

/// File helpers on raw descriptors: the daemon reads and writes state files without Foundation.
enum FileIO {
    /// Reads a whole file, or returns nil when it does not exist.
    static func readFile(_ path: String, maximumBytes: Int = 64 << 20) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw SystemError("open", path: path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try chunk.withUnsafeMutableBytes { (buffer) -> Int in
                try retryingInterrupts("read", path: path) {
                    read(descriptor, buffer.baseAddress, buffer.count)
                }
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumBytes {
                throw SystemError("read", path: path, code: EFBIG)
            }
        }
        return bytes
    }

    static func readText(_ path: String) throws -> String? {
        guard let bytes = try readFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws
    {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = try retryingInterrupts("write", path: path) {
                write(descriptor, base + offset, bytes.count - offset)
            }
            offset += written
        }
    }

    /// Returns the target of the symbolic link at `path`, or nil when it is not a link.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func makeDirectory(_ path: String, mode: mode_t = 0o750) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw SystemError("mkdir", path: prefix)
            }
        }
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func remove(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw SystemError("unlink", path: path)
        }
    }

    /// Lists the names in a directory, without "." and "..", sorted.
    static func listDirectory(_ path: String) throws -> [String] {
        var names: [String] = []
        try forEachName(in: path) { names.append($0) }
        return names.sorted()
    }

    /// Calls `body` with each name in a directory except `.` and `..`, in the order
    /// readdir(3) returns them, without holding the whole list. Does nothing when the
    /// directory does not exist.
    static func forEachName(in path: String, _ body: (String) throws -> Void) throws {
        guard let directory = opendir(path) else {
            if errno == ENOENT { return }
            throw SystemError("opendir", path: path)
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { try body(name) }
        }
    }
}
