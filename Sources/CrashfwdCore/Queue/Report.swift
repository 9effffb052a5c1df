/// A crash on its way to Centercode, as stored in the queue.
///
/// Life cycle: `queued` (body rendered, not yet accepted) -> `created` (the server returned
/// a feedback id; attachments may still be pending) -> `done`; or `dead` when the server
/// rejected it for good. Every change of state is one durable write of the whole record.
public struct Report: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        case queued, created, done, dead
    }

    public var id: String
    public var state: State
    public var destination: String
    public var detection: Detection
    /// The JSON body to post, rendered when the report was queued.
    public var body: String?
    public var feedbackID: String?
    /// The file-element upload URLs the server returned (these lack the project key).
    public var fileElements: [String: String]
    public var attempts: Int
    /// Unix seconds before which no attempt is made.
    public var nextAttemptAt: Double
    public var createdAt: Double
    public var updatedAt: Double
    /// The last failure: a transport error or the server's status and description, with the
    /// API key redacted.
    public var lastError: String?
    public var lastStatus: Int?
    /// The start of the last error response body (at most 4 KiB), with the API key redacted.
    public var lastResponse: String?
    /// Unix seconds when a create request was sent whose outcome is not recorded yet.
    /// Found set when crashfwd starts, it means the process died while the request was in
    /// flight, so the server may hold a ticket for this report already.
    public var createRequestSentAt: Double?
    /// How many create requests for this report were interrupted that way; each may have
    /// created one duplicate ticket. Nil when none was.
    public var possibleDuplicates: Int?

    public init(id: String, destination: String, detection: Detection, body: String?, now: Double) {
        self.id = id
        self.state = .queued
        self.destination = destination
        self.detection = detection
        self.body = body
        self.feedbackID = nil
        self.fileElements = [:]
        self.attempts = 0
        self.nextAttemptAt = now
        self.createdAt = now
        self.updatedAt = now
        self.lastError = nil
        self.lastStatus = nil
    }

    /// True while the report still needs work from the delivery stage.
    public var isPending: Bool { state == .queued || state == .created }
}
