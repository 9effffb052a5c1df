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
    /// Files to upload to the ticket once it exists; empty in reports written before
    /// attachments were supported.
    public var attachments: [Attachment]

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
        self.attachments = []
    }

    /// True while the report still needs work from the delivery stage.
    public var isPending: Bool { state == .queued || state == .created }
}

extension Report {
    /// Decodes a report, also one written by a version without the newer fields, which
    /// then take their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        state = try container.decode(State.self, forKey: .state)
        destination = try container.decode(String.self, forKey: .destination)
        detection = try container.decode(Detection.self, forKey: .detection)
        body = try container.decodeIfPresent(String.self, forKey: .body)
        feedbackID = try container.decodeIfPresent(String.self, forKey: .feedbackID)
        fileElements = try container.decode([String: String].self, forKey: .fileElements)
        attempts = try container.decode(Int.self, forKey: .attempts)
        nextAttemptAt = try container.decode(Double.self, forKey: .nextAttemptAt)
        createdAt = try container.decode(Double.self, forKey: .createdAt)
        updatedAt = try container.decode(Double.self, forKey: .updatedAt)
        lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
        lastStatus = try container.decodeIfPresent(Int.self, forKey: .lastStatus)
        attachments = try container.decodeIfPresent([Attachment].self, forKey: .attachments) ?? []
        lastResponse = try container.decodeIfPresent(String.self, forKey: .lastResponse)
        createRequestSentAt = try container.decodeIfPresent(
            Double.self, forKey: .createRequestSentAt)
        possibleDuplicates = try container.decodeIfPresent(
            Int.self, forKey: .possibleDuplicates)
    }
}
