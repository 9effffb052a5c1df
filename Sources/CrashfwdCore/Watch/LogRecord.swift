/// One line of a log file or one journal entry, as the watch stage hands it to detection.
public struct LogRecord: Sendable {
    /// The source id: `file:PATH` for a log file, `journal` for the journal.
    public var source: String
    /// The key blocks are assembled under, so interleaved programs do not mix: for a file the
    /// path plus the syslog program and pid when the line has them, for the journal
    /// `_TRANSPORT`, `SYSLOG_IDENTIFIER` and `_PID`.
    public var stream: String
    /// The line without its newline, or the journal entry's `MESSAGE`.
    public var text: String
    /// Journal fields of the entry; empty for file lines.
    public var fields: [String: String]
    public var position: RecordPosition
    /// Microseconds since the Unix epoch: the journal's realtime timestamp, or the time the
    /// line was read.
    public var timestamp: UInt64

    public init(
        source: String, stream: String, text: String, fields: [String: String] = [:],
        position: RecordPosition, timestamp: UInt64
    ) {
        self.source = source
        self.stream = stream
        self.text = text
        self.fields = fields
        self.position = position
        self.timestamp = timestamp
    }
}

/// The position of a record in its source.
public struct RecordPosition: Sendable, Hashable, Codable {
    /// Increases with every record a source emits in this process; orders records across
    /// streams.
    public var sequence: UInt64
    /// A stable id for the record that does not change across restarts: for a file
    /// `DEVICE:INODE:OFFSET` of the line's first byte, for the journal the entry's cursor.
    public var id: String
    /// The point where reading resumes to see this record again: the byte offset of the line, or the
    /// journal cursor.
    public var resume: String

    public init(sequence: UInt64, id: String, resume: String) {
        self.sequence = sequence
        self.id = id
        self.resume = resume
    }
}
