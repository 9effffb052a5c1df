#if canImport(Glibc)
    import Glibc
#endif

/// A regular file mapped read-only into memory. The mapping and the descriptor belong to
/// this value and are released by `close()`, after which `base` must not be used.
struct MappedFile {
    let base: UnsafePointer<UInt8>?
    let count: Int
    /// `DEVICE:INODE`, as in a file record's id.
    let identity: String
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { throw SystemError("open", path: path) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = SystemError("fstat", path: path)
            Glibc.close(descriptor)
            throw error
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(descriptor)
            let isDirectory = (status.st_mode & S_IFMT) == S_IFDIR
            throw SystemError(
                "scan (only regular files can be scanned)", path: path,
                code: isDirectory ? EISDIR : EINVAL)
        }
        count = Int(status.st_size)
        identity = "\(status.st_dev):\(status.st_ino)"
        guard count > 0 else {
            base = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            let error = SystemError("mmap", path: path)
            Glibc.close(descriptor)
            throw error
        }
        madvise(address, count, MADV_SEQUENTIAL)
        base = UnsafePointer(address.assumingMemoryBound(to: UInt8.self))
    }

    func close() {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
        Glibc.close(descriptor)
    }
}

/// Counts newline bytes eight at a time.
enum LineCounter {
    static func count(_ start: UnsafePointer<UInt8>, _ length: Int) -> Int {
        guard length > 0 else { return 0 }
        let raw = UnsafeRawPointer(start)
        var total = 0
        var offset = 0
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        while offset + 8 <= length {
            // A byte of `word` is zero exactly where the input byte is a newline; the
            // expression below sets the high bit of exactly those bytes.
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) ^ newlines
            let zeroBytes = ~(((word & low7) &+ low7) | word | low7)
            total += zeroBytes.nonzeroBitCount
            offset += 8
        }
        while offset < length {
            if start[offset] == 0x0A { total += 1 }
            offset += 1
        }
        return total
    }
}
