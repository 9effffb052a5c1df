/// One file to upload to a ticket's file element, with its delivery state.
///
/// Attachments are chosen and staged under `STATE/attachments/REPORT_ID/` when the crash is
/// detected, then uploaded one by one after the ticket exists. Each one is retried on its
/// own, and the report stays `created` until every attachment is finished.
public struct Attachment: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Waiting for its first or next upload attempt.
        case pending
        /// An upload was in progress when the state was last saved; after a restart it is
        /// sent again from the start.
        case uploading
        case done
        /// Not sent, because the file was rejected or over the size limit; `lastError` gives the reason.
        case skipped
        /// Not sent, because the server rejected the upload for good; `lastError` gives the reason.
        case failed
    }

    public enum Kind: String, Codable, Sendable {
        /// The core file named by `COREDUMP_FILENAME`.
        case core
        /// The log lines around the crash, written when it was detected.
        case excerpt
        /// A file matched by a matcher's `files` glob.
        case file
        /// The text file that lists the attachments that were skipped, and why.
        case note
    }

    public var element: String
    public var kind: Kind
    /// The origin of the evidence: the original path, or a description for an excerpt.
    public var origin: String
    /// The staged copy in the queue that is uploaded, or nil when nothing was staged.
    public var stagedPath: String?
    /// The file name sent in the multipart part.
    public var fileName: String
    /// Size of the staged file in bytes.
    public var size: UInt64
    public var state: State
    /// Bytes of the file sent in the last upload attempt.
    public var bytesSent: UInt64
    public var attempts: Int
    /// Unix seconds before which no upload is attempted.
    public var nextAttemptAt: Double
    /// The reason for a skip or the last failure, with the API key redacted.
    public var lastError: String?

    public init(
        element: String, kind: Kind, origin: String, stagedPath: String?, fileName: String,
        size: UInt64
    ) {
        self.element = element
        self.kind = kind
        self.origin = origin
        self.stagedPath = stagedPath
        self.fileName = fileName
        self.size = size
        self.state = .pending
        self.bytesSent = 0
        self.attempts = 0
        self.nextAttemptAt = 0
        self.lastError = nil
    }

    /// Creates an attachment that is recorded as skipped and never uploaded.
    public static func skipped(element: String, kind: Kind, origin: String, reason: String)
        -> Attachment
    {
        var attachment = Attachment(
            element: element, kind: kind, origin: origin, stagedPath: nil, fileName: "", size: 0)
        attachment.state = .skipped
        attachment.lastError = reason
        return attachment
    }

    /// True once nothing more will be done for this attachment.
    public var isFinished: Bool { state == .done || state == .skipped || state == .failed }
}
