import Foundation

/// The parts of a request known once its headers have arrived.
struct RequestHead: Sendable {
    var method: String
    /// The decoded URL path, without the query.
    var path: String
    /// Query arguments in order; a value is nil for a bare `?name`.
    var query: [(name: String, value: String?)]
    var contentType: String?
    /// The Content-Length header, or nil when the client sent none.
    var contentLength: Int64?
    var arrival: Date

    func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    func hasQueryArgument(_ name: String) -> Bool {
        query.contains { $0.name == name }
    }

    /// The path and query with the apiKey value replaced by `***`, for logs.
    var redactedPath: String {
        guard !query.isEmpty else { return path }
        let arguments = query.map { argument -> String in
            guard let value = argument.value else { return argument.name }
            return "\(argument.name)=\(argument.name == "apiKey" ? "***" : value)"
        }
        return "\(path)?\(arguments.joined(separator: "&"))"
    }
}

/// The way the server delivers a response.
enum Delivery: Sendable {
    /// Send the whole response.
    case complete
    /// Close the connection without sending anything.
    case dropBeforeResponse
    /// Send the headers and about half of the body, then abort the connection.
    case dropMidResponse
}

struct HTTPResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
    var body: Data
    var delivery: Delivery = .complete

    init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }

    init(status: Int, json: JSONValue) {
        self.init(status: status, body: encodeJSON(json))
    }

    /// Returns an error in the service's shape: `{"status": CODE, "description": "..."}`.
    static func error(_ status: Int, _ description: String) -> HTTPResponse {
        HTTPResponse(
            status: status,
            json: .object(["status": .integer(Int64(status)), "description": .string(description)]))
    }

    static let notFoundDescription = "The requested resource could not be found."

    static var notFound: HTTPResponse { error(404, notFoundDescription) }
}

/// The server's treatment of a request body.
enum BodyHandling: Sendable {
    /// Keep the body in memory, up to `maxBytes`; beyond that the request gets a 413.
    case collect(maxBytes: Int)
    /// Stream the multipart file part of an upload to disk.
    case upload(UploadTarget)
    /// Read and drop the body.
    case discard
}

struct UploadTarget: Sendable {
    var ticketId: Int
    var source: String
    var element: String
}

/// The decision taken when a request's headers arrive.
struct RequestPlan: Sendable {
    var body: BodyHandling
    /// A response fixed before the body arrives; the body is then read and dropped.
    var response: HTTPResponse?
    /// A response to send at once, without reading the body (a body too large to read).
    var immediateResponse: HTTPResponse?
    var fault: FaultRule?
    /// True for `/api/` requests, which the request log, rate limit and faults cover.
    var isAPI: Bool
}
