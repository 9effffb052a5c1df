/// A crash found in the logs: the block of lines, what the matcher captured and where it
/// came from. It is stored in the queue with its report, so it must stay Codable.
public struct Detection: Sendable, Codable, Equatable {
    public var matcher: String
    public var destination: String
    public var source: String
    /// Named capture groups of every pattern that matched, then the matcher's static fields
    /// (such as `kind` and `severity`), which do not overwrite a capture.
    public var captures: [String: String]
    /// The crash block, first line first.
    public var lines: [String]
    public var contextBefore: [String]
    public var contextAfter: [String]
    /// Fields of the block's first journal entry; empty for file lines.
    public var journalFields: [String: String]
    /// True when a line or byte limit cut the block short.
    public var truncated: Bool
    public var fingerprint: String
    /// Stable id of the block's first record, used to recognise the same crash when a source
    /// is read again after a restart.
    public var firstRecordID: String
    /// Microseconds since the Unix epoch of the block's first record.
    public var timestamp: UInt64

    public init(
        matcher: String, destination: String, source: String, captures: [String: String],
        lines: [String], contextBefore: [String] = [], contextAfter: [String] = [],
        journalFields: [String: String] = [:], truncated: Bool = false, fingerprint: String = "",
        firstRecordID: String, timestamp: UInt64
    ) {
        self.matcher = matcher
        self.destination = destination
        self.source = source
        self.captures = captures
        self.lines = lines
        self.contextBefore = contextBefore
        self.contextAfter = contextAfter
        self.journalFields = journalFields
        self.truncated = truncated
        self.fingerprint = fingerprint
        self.firstRecordID = firstRecordID
        self.timestamp = timestamp
    }

    /// The report id: the same crash read twice (after a restart) gets the same id, so the
    /// queue can recognise it.
    public var reportID: String {
        String(SHA256.hex("\(source)\n\(firstRecordID)\n\(matcher)").prefix(32))
    }
}
