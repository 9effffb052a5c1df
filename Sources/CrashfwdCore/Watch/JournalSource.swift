#if canImport(Glibc)
    import Glibc
#endif

/// Follows the systemd journal and turns each entry into a `LogRecord`.
///
/// The configured matches are handed to sd-journal, so its field indexes skip entries that
/// cannot be crashes. How far the journal has been handled is kept in
/// `STATE/journal.cursor` (format in `JournalPosition`).
///
/// Call `read(limit:)` once after opening and whenever `pollDescriptor` is readable or
/// `pollTimeout` has passed. A read that returns `limit` records stopped early, and
/// `pollTimeout` is then 0 until the backlog is read.
public final class JournalSource: RecordSource {
    public static let sourceID = "journal"

    let reader: JournalReader
    let config: JournalConfig
    let stateDirectory: String
    let cursorPath: String
    let onWarning: (String) -> Void
    /// The position to save when no detector block is pending: the last entry read.
    var handled: JournalPosition?
    var lastSaved: JournalPosition?
    /// True when the reader sits on an entry that has not been returned yet, after resuming
    /// `at` a saved cursor.
    var currentIsUnread = false
    /// True when a read stopped at its limit or has not happened yet.
    var backlog = true
    var sequence: UInt64 = 0
    /// The realtime timestamp of the last entry read, for detecting removed files.
    var lastRealtime: UInt64?
    /// The oldest timestamp a removed-files warning already covered.
    var reportedRemovedUntil: UInt64 = 0

    /// Opens the journal, applies the matches and seeks to the saved cursor or to the
    /// configured start.
    ///
    /// - Parameter onWarning: receives problems that do not stop reading, such as a saved
    ///   cursor whose entry was vacuumed. The default logs them.
    public init(
        config: JournalConfig, stateDirectory: String,
        onWarning: @escaping (String) -> Void = { Log.warning($0, ["SOURCE": "journal"]) }
    ) throws {
        self.config = config
        self.stateDirectory = stateDirectory
        self.cursorPath = "\(stateDirectory)/journal.cursor"
        self.onWarning = onWarning
        reader = try JournalReader(location: config.location)
        // One byte more than is kept, so a value cut by the threshold is still seen as too long.
        try reader.setDataThreshold(config.maxFieldBytes + 1)
        try applyMatches()
        try seekToStart()
    }

    /// Wraps an already opened reader without a cursor file, for one-off scans. The caller
    /// seeks the reader.
    init(reader: JournalReader, config: JournalConfig) throws {
        self.config = config
        self.stateDirectory = ""
        self.cursorPath = ""
        self.onWarning = { Log.warning($0, ["SOURCE": "journal"]) }
        self.reader = reader
        try reader.setDataThreshold(config.maxFieldBytes + 1)
        try applyMatches()
    }

    public var pollDescriptor: Int32 { reader.descriptor }

    /// Seconds until `read(limit:)` must be called even if `pollDescriptor` stays quiet, or
    /// nil to wait for the descriptor alone. sd-journal requests a timeout when it cannot rely
    /// on inotify, for example for journals on network file systems.
    public var pollTimeout: Double? {
        if backlog { return 0 }
        guard let deadline = try? reader.timeout() else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let nowUsec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        return deadline > nowUsec ? Double(deadline - nowUsec) / 1_000_000 : 0
    }

    func applyMatches() throws {
        for (index, group) in config.matches.enumerated() {
            if index > 0 { try reader.addDisjunction() }
            for match in group { try reader.addMatch(match) }
        }
    }

    public func close() { reader.close() }
}
