import CZlib

#if canImport(Glibc)
    import Glibc
#endif

/// Puts evidence files into the queue: a hard link when possible, else a streamed copy,
/// or a streamed gzip compression. Memory use does not depend on the file size.
enum FileStaging {
    static let chunkBytes = 1 << 20

    /// Hard-links an open file to `target` when both are on one filesystem, else copies it.
    /// Returns the number of bytes at `target`.
    static func linkOrCopy(_ source: SafeFile, to target: String) throws -> UInt64 {
        // Linking the descriptor's /proc path links the opened inode itself, so the file
        // cannot be swapped between the checks and the link. See linkat(2).
        if linkat(
            AT_FDCWD, "/proc/self/fd/\(source.descriptor)", AT_FDCWD, target, AT_SYMLINK_FOLLOW)
            == 0
        {
            return source.size
        }
        let code = errno
        guard code == EXDEV || code == EPERM || code == EMLINK else {
            throw SystemError("linkat", path: target, code: code)
        }
        return try write(to: target) { output in
            try copy(from: source.descriptor, path: source.path) {
                try FileIO.writeAll(output, $0, path: target)
            }
        }
    }

    /// Writes the gzip compression of an open file to `target` and returns its size.
    static func gzip(_ source: SafeFile, to target: String) throws -> UInt64 {
        try write(to: target) { output in
            let deflater = try Deflater(path: target)
            try copy(from: source.descriptor, path: source.path) {
                try deflater.compress($0, finish: false, into: output)
            }
            try deflater.compress(
                UnsafeRawBufferPointer(start: nil, count: 0), finish: true, into: output)
        }
    }

    /// Writes the gzip compression of `bytes` to `target` and returns its size.
    static func gzip(_ bytes: [UInt8], to target: String) throws -> UInt64 {
        try write(to: target) { output in
            let deflater = try Deflater(path: target)
            try bytes.withUnsafeBytes { try deflater.compress($0, finish: true, into: output) }
        }
    }

    /// Creates `target` (mode 0600), lets `body` fill it, fsyncs it and returns its size.
    /// On error the partial file is removed.
    static func write(to target: String, _ body: (Int32) throws -> Void) throws -> UInt64 {
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw SystemError("open", path: target) }
        defer { close(output) }
        do {
            try body(output)
            try retryingInterrupts("fsync", path: target) { fsync(output) }
            var info = stat()
            guard fstat(output, &info) == 0 else { throw SystemError("fstat", path: target) }
            return UInt64(info.st_size)
        } catch {
            unlink(target)
            throw error
        }
    }

    /// Reads a descriptor from its start to its end in chunks and hands each to `consume`.
    static func copy(
        from input: Int32, path: String, _ consume: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        var offset: off_t = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { raw in
                try retryingInterrupts("pread", path: path) {
                    pread(input, raw.baseAddress, raw.count, offset)
                }
            }
            if count == 0 { return }
            try buffer.withUnsafeBytes {
                try consume(UnsafeRawBufferPointer(rebasing: $0[0..<count]))
            }
            offset += off_t(count)
        }
    }
}

/// A zlib deflate stream that writes the gzip format (RFC 1952).
///
/// The `z_stream` is allocated here, set up with `deflateInit2_` and released with
/// `deflateEnd` in deinit.
final class Deflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var output = [UInt8](repeating: 0, count: FileStaging.chunkBytes)
    private let path: String

    init(path: String, level: Int32 = 6) throws {
        self.path = path
        stream.initialize(to: z_stream())
        // 15 + 16: a 32 KiB window with a gzip header and trailer instead of zlib's.
        let result = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard result == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw SystemError("deflateInit2", path: path, code: EINVAL)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input` and writes the output produced so far; `finish` ends the stream.
    func compress(_ input: UnsafeRawBufferPointer, finish: Bool, into descriptor: Int32) throws {
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        let flush = finish ? Z_FINISH : Z_NO_FLUSH
        while true {
            let (result, produced) = output.withUnsafeMutableBytes { raw -> (Int32, Int) in
                stream.pointee.next_out = raw.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(raw.count)
                let result = deflate(stream, flush)
                return (result, raw.count - Int(stream.pointee.avail_out))
            }
            guard result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR else {
                throw SystemError("deflate", path: path, code: EIO)
            }
            try output.withUnsafeBytes {
                try FileIO.writeAll(
                    descriptor, UnsafeRawBufferPointer(rebasing: $0[0..<produced]), path: path)
            }
            if finish ? result == Z_STREAM_END : stream.pointee.avail_out != 0 { return }
        }
    }
}
