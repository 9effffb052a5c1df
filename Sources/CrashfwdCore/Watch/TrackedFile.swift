#if canImport(Glibc)
    import Glibc
#endif

/// One open log file and how far it has been read.
final class TrackedFile {
    let path: String
    let descriptor: Int32
    let device: UInt64
    let inode: UInt64
    /// Offset of the first byte not yet returned in a complete line.
    var lineStart: UInt64
    /// Bytes after `lineStart` that were read but have no newline yet.
    var partial: [UInt8] = []
    /// True while skipping the rest of a line that was cut at the length limit.
    var discardingLongLine = false
    /// Monotonic seconds when the path was found to name another file.
    var rotatedAt = 0.0

    init(path: String, descriptor: Int32, device: UInt64, inode: UInt64, offset: UInt64) {
        self.path = path
        self.descriptor = descriptor
        self.device = device
        self.inode = inode
        self.lineStart = offset
    }

    deinit { close(descriptor) }

    var identity: String { "\(device):\(inode)" }
    /// The configured path that records are reported under. A file found again under its
    /// rotated name (such as `app.log.1`) keeps the name it was read under.
    var reportedPath: String?
    var source: String { "file:\(reportedPath ?? path)" }

    /// Opens a file with O_NOFOLLOW off (log paths may be symlinks set up by the admin) and
    /// records its device and inode.
    static func open(path: String, offset: UInt64?) throws -> TrackedFile? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw SystemError("open", path: path)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let failure = SystemError("fstat", path: path)
            Glibc.close(descriptor)
            throw failure
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            Glibc.close(descriptor)
            throw SystemError("open (not a regular file)", path: path, code: EINVAL)
        }
        let size = UInt64(info.st_size)
        return TrackedFile(
            path: path, descriptor: descriptor, device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino), offset: min(offset ?? size, size))
    }

    /// Returns the SHA-256 of the first `length` bytes, or nil when fewer can be read.
    func headDigest(length: UInt64) -> String? {
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let count = bytes.withUnsafeMutableBytes {
            pread(descriptor, $0.baseAddress, Int(length), 0)
        }
        guard count == Int(length) else { return nil }
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    var size: UInt64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? UInt64(info.st_size) : 0
    }
}
