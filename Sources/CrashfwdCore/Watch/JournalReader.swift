import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// The journal a reader opens.
public enum JournalLocation: Sendable, Equatable {
    /// The journals of this machine, as `journalctl` without options reads them.
    case system
    /// Every journal file in one directory, such as `/var/log/journal/MACHINE_ID`.
    case directory(String)
    /// Exactly these journal files.
    case files([String])
}

/// What `sd_journal_process` found after the descriptor became readable.
enum JournalChange {
    /// Nothing changed.
    case none
    /// Entries were appended to files already open.
    case append
    /// Files were added, removed or replaced: rotation, vacuum or a journald restart.
    case invalidate
}

/// The only place that calls libsystemd's sd-journal API.
///
/// Ownership: the `sd_journal` handle belongs to this object and is released once with
/// `sd_journal_close`, by `close()` or at deinit. Every negative return value is thrown as a
/// `SystemError` carrying the negated errno. The handle is not thread-safe, so a reader must
/// stay on one thread at a time.
final class JournalReader {
    private var handle: OpaquePointer?
    /// The inotify descriptor from `sd_journal_get_fd`, owned by the handle, or -1 when the
    /// reader was opened without watching for changes.
    let descriptor: Int32

    /// Opens the journal.
    ///
    /// - Parameter watchForChanges: installs inotify watches and returns their descriptor in
    ///   `descriptor`. A reader that only reads once, such as the one for an excerpt, passes
    ///   false and saves the watches.
    init(location: JournalLocation, watchForChanges: Bool = true) throws {
        let opened = try JournalReader.open(location)
        handle = opened
        guard watchForChanges else {
            descriptor = -1
            return
        }
        // sd_journal_get_fd installs the inotify watches. Calling it right after opening means
        // no file created between opening and the first read goes unnoticed.
        let descriptor = sd_journal_get_fd(opened)
        if descriptor < 0 {
            sd_journal_close(opened)
            handle = nil
            throw SystemError("sd_journal_get_fd", code: -descriptor)
        }
        self.descriptor = descriptor
    }

    deinit { close() }

    func close() {
        if let handle { sd_journal_close(handle) }
        handle = nil
    }

    private static func open(_ location: JournalLocation) throws -> OpaquePointer {
        var result: OpaquePointer?
        let status: Int32
        switch location {
        case .system:
            status = sd_journal_open(&result, Int32(SD_JOURNAL_LOCAL_ONLY))
        case .directory(let path):
            status = sd_journal_open_directory(&result, path, 0)
        case .files(let paths):
            status = openFiles(paths, &result)
        }
        guard status >= 0, let result else {
            throw SystemError("sd_journal_open", path: describe(location), code: -status)
        }
        return result
    }

    static func describe(_ location: JournalLocation) -> String {
        switch location {
        case .system: "system journal"
        case .directory(let path): path
        case .files(let paths): paths.joined(separator: ",")
        }
    }

    /// Opens the files with sd_journal_open_files, which takes a NULL-terminated array.
    private static func openFiles(_ paths: [String], _ result: inout OpaquePointer?) -> Int32 {
        let copies = paths.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers = copies.map { UnsafePointer($0) } + [nil]
        return sd_journal_open_files(&result, &pointers, 0)
    }

    private func call(_ operation: String, _ body: (OpaquePointer) -> Int32) throws -> Int32 {
        guard let handle else { throw SystemError(operation, path: "closed journal", code: EBADF) }
        let status = body(handle)
        if status < 0 { throw SystemError(operation, code: -status) }
        return status
    }

    // MARK: Matches

    /// Adds a `FIELD=value` match; see sd_journal_add_match(3) for how matches combine.
    func addMatch(_ match: String) throws {
        var bytes = Array(match.utf8)
        _ = try call("sd_journal_add_match '\(match)'") { handle in
            sd_journal_add_match(handle, &bytes, bytes.count)
        }
    }

    func addDisjunction() throws {
        _ = try call("sd_journal_add_disjunction") { sd_journal_add_disjunction($0) }
    }

    /// ANDs the matches added so far with the ones added next, so `A, disjunction, B,
    /// conjunction, C` selects `(A OR B) AND C`.
    func addConjunction() throws {
        _ = try call("sd_journal_add_conjunction") { sd_journal_add_conjunction($0) }
    }

    /// Bounds how many bytes of a compressed field are decompressed.
    func setDataThreshold(_ bytes: Int) throws {
        _ = try call("sd_journal_set_data_threshold") { sd_journal_set_data_threshold($0, bytes) }
    }

    // MARK: Seeking and moving

    func seekHead() throws { _ = try call("sd_journal_seek_head") { sd_journal_seek_head($0) } }

    func seekTail() throws { _ = try call("sd_journal_seek_tail") { sd_journal_seek_tail($0) } }

    func seekCursor(_ cursor: String) throws {
        _ = try call("sd_journal_seek_cursor") { sd_journal_seek_cursor($0, cursor) }
    }

    /// Seeks so that `next()` returns the first entry at or after `usec` (realtime).
    func seekRealtime(_ usec: UInt64) throws {
        _ = try call("sd_journal_seek_realtime_usec") { sd_journal_seek_realtime_usec($0, usec) }
    }

    /// Seeks so that `next()` returns the first entry of the running boot.
    func seekCurrentBootStart() throws {
        var boot = sd_id128_t()
        let status = sd_id128_get_boot(&boot)
        if status < 0 { throw SystemError("sd_id128_get_boot", code: -status) }
        _ = try call("sd_journal_seek_monotonic_usec") {
            sd_journal_seek_monotonic_usec($0, boot, 0)
        }
    }

    /// Moves to the next entry; false at the end.
    func next() throws -> Bool { try call("sd_journal_next") { sd_journal_next($0) } > 0 }

    /// Moves to the previous entry; false at the start.
    func previous() throws -> Bool {
        try call("sd_journal_previous") { sd_journal_previous($0) } > 0
    }

    // MARK: The current entry

    func cursor() throws -> String {
        var text: UnsafeMutablePointer<CChar>?
        _ = try call("sd_journal_get_cursor") { sd_journal_get_cursor($0, &text) }
        guard let text else { throw SystemError("sd_journal_get_cursor", code: EINVAL) }
        // sd_journal_get_cursor returns a malloc'd string that the caller frees.
        defer { free(text) }
        return String(cString: text)
    }

    /// Reports whether the current entry is the one `cursor` names. An invalid cursor or a
    /// missing current entry is reported as false.
    func testCursor(_ cursor: String) -> Bool {
        guard let handle else { return false }
        return sd_journal_test_cursor(handle, cursor) > 0
    }

    /// The current entry's realtime timestamp in microseconds since the Unix epoch.
    func realtime() throws -> UInt64 {
        var usec: UInt64 = 0
        _ = try call("sd_journal_get_realtime_usec") { sd_journal_get_realtime_usec($0, &usec) }
        return usec
    }

    /// Calls `body` with each `FIELD=value` of the current entry, in file order.
    ///
    /// The bytes point into the journal's memory map and are valid only during the call.
    /// Fields that cannot be read, such as ones compressed with an unsupported algorithm, are
    /// skipped by `sd_journal_enumerate_available_data`.
    func forEachField(_ body: (UnsafeRawBufferPointer) -> Void) throws {
        guard let handle else { throw SystemError("sd_journal_restart_data", code: EBADF) }
        sd_journal_restart_data(handle)
        while true {
            var data: UnsafeRawPointer?
            var length = 0
            let status = sd_journal_enumerate_available_data(handle, &data, &length)
            if status < 0 {
                throw SystemError("sd_journal_enumerate_available_data", code: -status)
            }
            guard status > 0, let data else { return }
            body(UnsafeRawBufferPointer(start: data, count: length))
        }
    }

    /// The realtime timestamps of the oldest and newest entry in the open files, or nil when
    /// they hold no entries.
    func cutoffRealtime() throws -> (from: UInt64, to: UInt64)? {
        var from: UInt64 = 0
        var to: UInt64 = 0
        let status = try call("sd_journal_get_cutoff_realtime_usec") {
            sd_journal_get_cutoff_realtime_usec($0, &from, &to)
        }
        return status > 0 ? (from, to) : nil
    }

    // MARK: Change notification

    /// Consumes the events on `descriptor` and reports what changed.
    func process() throws -> JournalChange {
        switch try call("sd_journal_process", { sd_journal_process($0) }) {
        case Int32(SD_JOURNAL_APPEND): .append
        case Int32(SD_JOURNAL_INVALIDATE): .invalidate
        default: .none
        }
    }

    /// The CLOCK_MONOTONIC time in microseconds by which `process()` must be called even
    /// without activity on `descriptor`, or nil when the descriptor alone is reliable.
    func timeout() throws -> UInt64? {
        var usec: UInt64 = 0
        _ = try call("sd_journal_get_timeout") { sd_journal_get_timeout($0, &usec) }
        return usec == UInt64.max ? nil : usec
    }
}
