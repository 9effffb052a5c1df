import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Follows log files with inotify, surviving rotation by rename and by truncation.
///
/// The tailer watches the directory of every configured glob, so it is notified of files that are
/// created, renamed into place or truncated. When a path starts to name a new inode (a
/// rotation), the old file is read to its end first, then the new one from its start.
/// Offsets are kept per path in `STATE/files.json` and resumed after a restart when the
/// path still names the same inode.
public final class FileTailer: RecordSource {
    public struct Warning: Sendable {
        public var path: String
        public var message: String
    }

    let sources: [FileSourceConfig]
    let positionsPath: String
    let inotify: Int32
    let maximumLineBytes: Int
    var files: [String: TrackedFile] = [:]
    /// Rotated-away files still being read to their end.
    var draining: [TrackedFile] = []
    var savedPositions: [String: SavedPosition] = [:]
    var sequence: UInt64 = 0
    /// Seconds a rotated-away file is still read after its end, because the writing program
    /// may append to it until it reopens its log.
    static let rotationGrace = 5.0
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    /// Problems met while following, for the daemon to log.
    public var warnings: [Warning] = []

    struct SavedPosition: Codable, Equatable {
        var device: UInt64
        var inode: UInt64
        var offset: UInt64
        /// SHA-256 of the file's first `headLength` bytes. A file deleted and created
        /// again can get the same inode number, so a different head marks a different file.
        var head: String?
        var headLength: UInt64?

        /// True when `file` is the file this position was saved for.
        func describes(_ file: TrackedFile) -> Bool {
            guard file.device == device, file.inode == inode else { return false }
            guard let head, let headLength else { return true }
            return file.headDigest(length: headLength) == head
        }
    }

    /// Bytes at the start of a file that identify it together with its inode.
    static let headBytes: UInt64 = 256

    public init(
        sources: [FileSourceConfig], stateDirectory: String, maximumLineBytes: Int = 64 << 10
    ) throws {
        self.sources = sources
        self.positionsPath = "\(stateDirectory)/files.json"
        self.maximumLineBytes = maximumLineBytes
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if inotify < 0 {
            let failure = SystemError("inotify_init1")
            guard failure.code == EMFILE else { throw failure }
            throw DaemonError(
                description:
                    "cannot create an inotify instance: this user has reached the kernel limit fs.inotify.max_user_instances; raise it (for example sysctl fs.inotify.max_user_instances=512) or stop other programs that use inotify"
            )
        }
        if let bytes = try FileIO.readFile(positionsPath) {
            savedPositions =
                (try? JSONCoding.decode([String: SavedPosition].self, from: bytes)) ?? [:]
        }
        try watchDirectories()
        resumeRotatedFiles()
        try scan(startup: true)
    }

    deinit { Glibc.close(inotify) }

    public var pollDescriptor: Int32 { inotify }

    public func close() {
        files.removeAll()
        draining.removeAll()
    }

    /// The paths being followed and their current offsets, for status output.
    public var positions: [String: UInt64] { files.mapValues(\.lineStart) }

    func watchDirectories() throws {
        let mask = UInt32(
            IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | IN_CLOSE_WRITE
                | IN_ATTRIB)
        var watched: Set<String> = []
        for source in sources {
            let directoryPattern = DurableFile.parentDirectory(of: source.path)
            let directories =
                Glob(directoryPattern).hasWildcards
                ? Glob(directoryPattern).expand() : [directoryPattern]
            for directory in directories where !watched.contains(directory) {
                watched.insert(directory)
                if inotify_add_watch(inotify, directory, mask) < 0 {
                    warnings.append(
                        Warning(
                            path: directory,
                            message:
                                "cannot watch directory: \(SystemError("inotify_add_watch", path: directory)); files in it are not followed until crashfwd restarts"
                        ))
                }
            }
        }
    }

    /// Finds files that were rotated away while crashfwd was stopped and reads them to
    /// their end from the saved offset, so crashes written just before the rotation are not
    /// lost. The old inode is looked for among the files of the same directory (such as
    /// `app.log.1`). A compressed or deleted one cannot be read, and a warning is logged.
    func resumeRotatedFiles() {
        for (path, saved) in savedPositions.sorted(by: { $0.key < $1.key }) {
            if let current = try? TrackedFile.open(path: path, offset: 0), saved.describes(current)
            {
                continue
            }
            guard let rotated = findFile(saved, near: path) else {
                warnings.append(
                    Warning(
                        path: path,
                        message:
                            "the file read up to offset \(saved.offset) was rotated or removed while crashfwd was stopped and cannot be found in its directory; lines written to it after that offset are not read"
                    ))
                continue
            }
            rotated.lineStart = min(saved.offset, rotated.size)
            rotated.reportedPath = path
            rotated.rotatedAt = Clock.monotonic()
            draining.append(rotated)
        }
    }

    /// Opens the regular file in the directory of `path` that `saved` describes (same
    /// device, inode and head), if there is one.
    func findFile(_ saved: SavedPosition, near path: String) -> TrackedFile? {
        let directory = DurableFile.parentDirectory(of: path)
        guard let names = try? FileIO.listDirectory(directory) else { return nil }
        for name in names {
            var info = stat()
            let candidate = "\(directory)/\(name)"
            guard lstat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
                UInt64(info.st_dev) == saved.device, UInt64(info.st_ino) == saved.inode,
                let file = try? TrackedFile.open(path: candidate, offset: 0), saved.describes(file)
            else { continue }
            return file
        }
        return nil
    }

    /// Opens files that newly match a glob and detects rotation of files already open.
    func scan(startup: Bool) throws {
        for source in sources {
            let paths = Glob(source.path).hasWildcards ? Glob(source.path).expand() : [source.path]
            for path in paths { try track(path, source: source, startup: startup) }
        }
    }

    func track(_ path: String, source: FileSourceConfig, startup: Bool) throws {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
        if let current = files[path] {
            if current.device == UInt64(info.st_dev) && current.inode == UInt64(info.st_ino) {
                return
            }
            current.rotatedAt = Clock.monotonic()
            draining.append(current)  // rotated: finish the old inode first
            files[path] = nil
        }
        do {
            guard let file = try TrackedFile.open(path: path, offset: 0) else { return }
            file.lineStart = startOffset(file, source: source, startup: startup)
            files[path] = file
        } catch {
            warnings.append(Warning(path: path, message: "\(error)"))
        }
    }

    /// Returns where to start in a file: its saved offset if it is the file the offset was
    /// saved for, else the start position from the config for files present at startup,
    /// else the first byte.
    func startOffset(_ file: TrackedFile, source: FileSourceConfig, startup: Bool) -> UInt64 {
        let saved = savedPositions[file.path]
        if let saved, saved.describes(file) { return min(saved.offset, file.size) }
        if startup && saved == nil && source.startAt == .end { return file.size }
        return 0
    }

    public func read(limit: Int) throws -> [LogRecord] {
        if drainEvents() { try scan(startup: false) }
        var records: [LogRecord] = []
        for file in draining {
            records += readLines(from: file, limit: limit - records.count)
        }
        draining.removeAll { file in
            let finished = file.lineStart + UInt64(file.partial.count) >= file.size
            return finished && Clock.monotonic() > file.rotatedAt + FileTailer.rotationGrace
        }
        for path in files.keys.sorted() where records.count < limit {
            guard let file = files[path] else { continue }
            checkTruncation(file)
            records += readLines(from: file, limit: limit - records.count)
        }
        return records
    }

    /// Reads all pending inotify events and returns true when one of them can change
    /// which files the globs name: a file created, moved, deleted or changed in its
    /// attributes, or a lost event (queue overflow). Appends and truncations need no
    /// rescan because the open files are read and checked on every call.
    func drainEvents() -> Bool {
        let rescanMask = UInt32(
            IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_Q_OVERFLOW)
        let headerSize = MemoryLayout<inotify_event>.size
        var needsRescan = false
        var events = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = Glibc.read(inotify, &events, events.count)
            if count <= 0 { break }
            var offset = 0
            while offset + headerSize <= count {
                let event = events.withUnsafeBytes {
                    $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                }
                if event.mask & rescanMask != 0 { needsRescan = true }
                offset += headerSize + Int(event.len)
            }
        }
        return needsRescan
    }

    func checkTruncation(_ file: TrackedFile) {
        let size = file.size
        let readEnd = file.lineStart + UInt64(file.partial.count)
        if size < readEnd {
            warnings.append(
                Warning(
                    path: file.path,
                    message:
                        "file was truncated from \(readEnd) to \(size) bytes; reading it again from the start"
                ))
            file.lineStart = 0
            file.partial.removeAll()
            file.discardingLongLine = false
        }
    }

    /// Reads complete lines from a file, at most `limit`.
    func readLines(from file: TrackedFile, limit: Int) -> [LogRecord] {
        var records: [LogRecord] = []
        while records.count < limit {
            let readOffset = file.lineStart + UInt64(file.partial.count)
            let count = buffer.withUnsafeMutableBytes { raw in
                pread(file.descriptor, raw.baseAddress, raw.count, off_t(readOffset))
            }
            if count <= 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == 10 {
                appendLine(file, buffer[start..<index], to: &records, complete: true)
                start = index + 1
            }
            file.partial.append(contentsOf: buffer[start..<count])
            if file.partial.count > maximumLineBytes {
                appendLine(file, [], to: &records, complete: false)
            }
        }
        return records
    }

    func appendLine(
        _ file: TrackedFile, _ tail: ArraySlice<UInt8>, to records: inout [LogRecord],
        complete: Bool
    ) {
        let lineLength = file.partial.count + tail.count
        defer {
            file.lineStart += UInt64(lineLength + (complete ? 1 : 0))
            file.partial.removeAll(keepingCapacity: true)
            if complete { file.discardingLongLine = false }
        }
        if file.discardingLongLine { return }
        var bytes = file.partial
        bytes.append(contentsOf: tail)
        var text: String
        if bytes.count > maximumLineBytes {
            text =
                String(decoding: bytes.prefix(maximumLineBytes), as: UTF8.self)
                + " [line cut at \(maximumLineBytes) bytes]"
            file.discardingLongLine = !complete
        } else {
            text = String(decoding: bytes, as: UTF8.self)
        }
        if text.hasSuffix("\r") { text.removeLast() }
        sequence += 1
        let position = RecordPosition(
            sequence: sequence, id: "\(file.identity):\(file.lineStart)",
            resume: "\(file.lineStart)")
        records.append(
            LogRecord(
                source: file.source, stream: file.source, text: text, position: position,
                timestamp: Clock.microseconds()))
    }

    public func savePositions(oldestPending: (String) -> RecordPosition?) throws {
        var positions: [String: SavedPosition] = [:]
        for (path, file) in files {
            var offset = file.lineStart
            if let pending = oldestPending(file.source), pending.id.hasPrefix("\(file.identity):"),
                let resume = UInt64(pending.resume)
            {
                offset = min(offset, resume)
            }
            let headLength = min(offset, FileTailer.headBytes)
            let previous = savedPositions[path]
            let head =
                previous?.headLength == headLength && previous?.inode == file.inode
                ? previous?.head : file.headDigest(length: headLength)
            positions[path] = SavedPosition(
                device: file.device, inode: file.inode, offset: offset, head: head,
                headLength: headLength)
        }
        guard positions != savedPositions else { return }
        try DurableFile.write(try JSONCoding.encode(positions, pretty: true), to: positionsPath)
        savedPositions = positions
    }
}
