/// A source of log records that the daemon's poll loop reads: the log-file tailer or the
/// journal.
public protocol RecordSource: AnyObject {
    /// A descriptor that becomes readable when new records may be available.
    var pollDescriptor: Int32 { get }

    /// Reads the records available now without blocking, at most `limit` of them.
    func read(limit: Int) throws -> [LogRecord]

    /// Durably saves how far each of this source's inputs has been handled.
    ///
    /// `oldestPending` returns, for a source id, the first record of a block that is still
    /// open; the saved position must not pass it. Call this only after every detection made
    /// from the records read so far is queued, so that a restart re-reads, and never skips,
    /// a crash that was not yet queued.
    func savePositions(oldestPending: (String) -> RecordPosition?) throws

    func close()
}
