#if canImport(Glibc)
    import Glibc
#endif

/// Crash-safe replacement of whole files: the only way state files are written.
///
/// The content goes to a temporary file in the same directory, is written fully and
/// fsynced, then renamed over the target, and finally the directory is fsynced so the
/// rename itself survives a power loss. A reader sees either the old file or the new
/// one, never a mix. On any error the temporary file is removed and the target is left
/// as it was.
public enum DurableFile {
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o640) throws {
        let directory = parentDirectory(of: path)
        let temporary = "\(directory)/.\(baseName(of: path)).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if descriptor < 0 { throw SystemError("open", path: temporary) }

        do {
            try bytes.withUnsafeBytes { (buffer) in
                try FileIO.writeAll(descriptor, buffer, path: temporary)
            }
            try retryingInterrupts("fsync", path: temporary) { fsync(descriptor) }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)

        if rename(temporary, path) != 0 {
            let failure = SystemError("rename", path: path)
            unlink(temporary)
            throw failure
        }
        try syncDirectory(directory)
    }

    public static func write(_ text: String, to path: String, mode: mode_t = 0o640) throws {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// Fsyncs a directory so that renames and unlinks in it are durable.
    public static func syncDirectory(_ directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor < 0 { throw SystemError("open", path: directory) }
        defer { close(descriptor) }
        try retryingInterrupts("fsync", path: directory) { fsync(descriptor) }
    }

    /// Removes a file and makes the removal durable.
    public static func remove(_ path: String) throws {
        try FileIO.remove(path)
        try syncDirectory(parentDirectory(of: path))
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
