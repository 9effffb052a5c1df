#if canImport(Glibc)
    import Glibc
#endif

/// Lexical checks on attachment paths, made before any file is touched.
enum PathRules {
    static func hasDotDot(_ path: String) -> Bool {
        path.split(separator: "/").contains { $0 == ".." || $0 == "." }
    }

    static func trimmingTrailingSlashes(_ path: String) -> String {
        var result = path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// True when `path` lies strictly below one of `directories`, compared as text.
    static func isInside(_ path: String, _ directories: [String]) -> Bool {
        directories.contains { directory in
            let prefix = directory == "/" ? "/" : directory + "/"
            return path.hasPrefix(prefix) && path.count > prefix.count
        }
    }
}

/// The reason an attachment file was not opened, for logs and the skip note.
struct AttachmentRejection: Error, CustomStringConvertible, Sendable {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A regular file opened read-only after checking that it lies inside the allowed
/// directories, even through symlinks.
///
/// The checks run in this order. The path must be absolute, have no `.` or `..` component
/// and lie below an allowed directory as text. lstat(2) must find a regular file, so a FIFO
/// or device is never opened. open(2) with `O_NOFOLLOW` rejects a symlink as the last
/// component, and fstat(2) must show the inode lstat saw. Last, the descriptor's real path,
/// read from `/proc/self/fd/N`, must lie below the real path of an allowed directory, which
/// catches symlinked parent directories. The descriptor is closed on deinit.
final class SafeFile {
    let descriptor: Int32
    let path: String
    let realPath: String
    let size: UInt64
    let device: UInt64

    private init(descriptor: Int32, path: String, realPath: String, info: stat) {
        self.descriptor = descriptor
        self.path = path
        self.realPath = realPath
        self.size = UInt64(info.st_size)
        self.device = UInt64(info.st_dev)
    }

    deinit { close(descriptor) }

    static func open(_ path: String, allowedDirectories: [String]) throws -> SafeFile {
        guard path.hasPrefix("/"), !PathRules.hasDotDot(path) else {
            throw AttachmentRejection(
                "'\(path)' is not an absolute path without '.' or '..' components")
        }
        guard PathRules.isInside(path, allowedDirectories) else {
            throw AttachmentRejection(
                "'\(path)' is outside the allowed directories (attach.allowed_directories)")
        }
        var linkInfo = stat()
        guard lstat(path, &linkInfo) == 0 else {
            throw AttachmentRejection("cannot read '\(path)': \(SystemError("lstat", path: path))")
        }
        try requireRegular(linkInfo, path: path)
        let descriptor = Glibc.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AttachmentRejection("cannot open '\(path)': \(SystemError("open", path: path))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_dev == linkInfo.st_dev,
            info.st_ino == linkInfo.st_ino
        else {
            close(descriptor)
            throw AttachmentRejection("'\(path)' was replaced while it was opened")
        }
        guard let realPath = descriptorPath(descriptor),
            PathRules.isInside(realPath, allowedDirectories.map(realDirectory))
        else {
            close(descriptor)
            throw AttachmentRejection("'\(path)' resolves outside the allowed directories")
        }
        return SafeFile(descriptor: descriptor, path: path, realPath: realPath, info: info)
    }

    static func requireRegular(_ info: stat, path: String) throws {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFLNK: kind = "a symbolic link"
        case S_IFIFO: kind = "a FIFO"
        case S_IFDIR: kind = "a directory"
        case S_IFCHR, S_IFBLK: kind = "a device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw AttachmentRejection("'\(path)' is \(kind); only regular files are attached")
    }

    /// Returns the path the kernel holds for an open descriptor.
    static func descriptorPath(_ descriptor: Int32) -> String? {
        FileIO.linkTarget("/proc/self/fd/\(descriptor)")
    }

    /// Returns a directory's real path, or the path itself when it cannot be resolved.
    static func realDirectory(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
