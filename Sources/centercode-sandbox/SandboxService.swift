import Foundation
import Synchronization

/// The emulated Centercode API: routing, authentication, faults and responses.
///
/// `HTTPServer` calls `plan(_:)` when a request's headers arrive and `respond(...)` once
/// its body has been read. This type contains no libmicrohttpd state.
final class SandboxService: Sendable {
    static let maxCreateBodyBytes = 10 * 1024 * 1024

    let config: SandboxConfig
    let store: TicketStore
    let faults: FaultInjector
    let log: RequestLog
    private let publicBaseURL = Mutex("")

    init(config: SandboxConfig, store: TicketStore, faults: FaultInjector, log: RequestLog) {
        self.config = config
        self.store = store
        self.faults = faults
        self.log = log
    }

    /// Sets the scheme, host and port used in URLs that responses return.
    func setPublicBaseURL(_ url: String) { publicBaseURL.withLock { $0 = url } }

    var baseURL: String { publicBaseURL.withLock { $0 } }

    /// Decides how to read the body and whether the response is already fixed.
    func plan(_ head: RequestHead) -> RequestPlan {
        guard head.path.hasPrefix("/api/") else {
            return RequestPlan(
                body: .collect(maxBytes: Self.maxCreateBodyBytes), isAPI: false)
        }
        var plan = RequestPlan(body: .discard, isAPI: true)
        guard faults.admit(now: head.arrival.timeIntervalSince1970) else {
            var response = HTTPResponse.error(429, "Too many requests: retry after 1 second.")
            response.headers.append(("Retry-After", "1"))
            plan.response = response
            return plan
        }
        let route = APIRoute(path: head.path)
        plan.fault = faults.fault(
            method: head.method, path: head.path, isCreate: route.isCreate && head.method == "POST")
        if let fault = plan.fault, fault.action == .respond || fault.action == .closeBeforeResponse
        {
            return plan
        }
        switch authorize(route, head) {
        case .failure(let error):
            plan.response = error.response
        case .success(let source):
            planAuthorized(route, source: source, head: head, plan: &plan)
        }
        return plan
    }

    private func planAuthorized(
        _ route: APIRoute, source: String, head: RequestHead, plan: inout RequestPlan
    ) {
        guard head.method == "POST" else {
            plan.response = .error(405, "Method \(head.method) is not allowed here; use POST.")
            return
        }
        if route.isCreate {
            if let length = head.contentLength, length > Self.maxCreateBodyBytes {
                plan.immediateResponse = Self.createBodyTooLarge
            } else {
                plan.body = .collect(maxBytes: Self.maxCreateBodyBytes)
            }
            return
        }
        guard let upload = route.upload, let ticket = store.ticket(id: upload.ticketId),
            ticket.source == source,
            config.sources[source]?.fileElements.contains(upload.element) ?? false
        else {
            plan.response = .notFound
            return
        }
        // Multipart framing adds a few hundred bytes per part, so 1 MiB of slack is generous.
        if let length = head.contentLength, length > config.maxFileBytes + 1024 * 1024 {
            // Closing a connection with unread data makes the kernel send a reset, which can
            // destroy the 413 before the client reads it, so a body of moderate size is read
            // and dropped first. A larger one gets the 413 at once.
            if length <= SandboxService.maximumDrainBytes {
                plan.response = uploadTooLarge
            } else {
                plan.immediateResponse = uploadTooLarge
            }
        } else {
            plan.body = .upload(
                UploadTarget(ticketId: upload.ticketId, source: source, element: upload.element))
        }
    }

    /// The largest rejected upload body that is read to its end before the 413 goes out.
    static let maximumDrainBytes: Int64 = 64 * 1024 * 1024

    static let createBodyTooLarge = HTTPResponse.error(
        413, "Request body too large: the maximum for a create request is 10 MB.")

    var uploadTooLarge: HTTPResponse {
        .error(413, "File too large: the maximum is \(config.maxFileBytes) bytes.")
    }

    /// Checks path shape, API key, project and source; returns the source key.
    private func authorize(_ route: APIRoute, _ head: RequestHead) -> Result<String, ResponseError>
    {
        guard let project = route.project, let source = route.source else {
            return .failure(ResponseError(.notFound))
        }
        guard let key = head.queryValue("apiKey"), !key.isEmpty else {
            return .failure(ResponseError(.error(401, "An API key is required.")))
        }
        if config.revokedKeys.contains(key) {
            return .failure(ResponseError(.error(403, "The API key has been revoked.")))
        }
        guard key == config.apiKey, project == config.project, config.sources[source] != nil
        else {
            return .failure(ResponseError(.notFound))
        }
        return .success(source)
    }

    /// Builds the response once the body has been read.
    ///
    /// `body` is the collected body, `bodyTooLarge` is true when it passed the collect limit and
    /// `upload` is the finished file part of an upload, if any.
    func respond(
        _ head: RequestHead, plan: RequestPlan, body: Data, bodyTooLarge: Bool, upload: UploadSink?
    ) -> HTTPResponse {
        if let fault = plan.fault {
            if fault.action == .delay, fault.delayMs > 0 {
                Thread.sleep(forTimeInterval: Double(fault.delayMs) / 1000)
            }
            if let response = Self.faultResponse(fault) {
                upload?.discard()
                return response
            }
        }
        var response = handle(
            head, plan: plan, body: body, bodyTooLarge: bodyTooLarge, upload: upload)
        switch plan.fault?.action {
        case .closeMidResponse?: response.delivery = .dropMidResponse
        case .acceptThenDrop?: response.delivery = .dropBeforeResponse
        default: break
        }
        return response
    }

    private func handle(
        _ head: RequestHead, plan: RequestPlan, body: Data, bodyTooLarge: Bool, upload: UploadSink?
    ) -> HTTPResponse {
        if let response = plan.response {
            upload?.discard()
            return response
        }
        if !plan.isAPI {
            return TestEndpoints(service: self).handle(head, body: body, bodyTooLarge: bodyTooLarge)
        }
        switch plan.body {
        case .collect:
            let route = APIRoute(path: head.path)
            guard let source = route.source else { return .notFound }
            if bodyTooLarge { return Self.createBodyTooLarge }
            return createTicket(source: source, body: body)
        case .upload(let target):
            guard let upload else { return .error(400, "The upload has no body.") }
            return UploadHandler(service: self).finish(target, sink: upload)
        case .discard:
            return .notFound
        }
    }

    private static func faultResponse(_ fault: FaultRule) -> HTTPResponse? {
        switch fault.action {
        case .respond:
            var response: HTTPResponse
            if let body = fault.body {
                response = HTTPResponse(status: fault.status, body: Data(body.utf8))
            } else {
                response = .error(fault.status, "Injected fault: status \(fault.status).")
            }
            if let retryAfter = fault.retryAfter {
                response.headers.append(("Retry-After", retryAfter))
            }
            return response
        case .closeBeforeResponse, .closeMidRequest:
            var response = HTTPResponse.error(500, "Connection dropped by fault rule.")
            response.delivery = .dropBeforeResponse
            return response
        case .delay, .closeMidResponse, .acceptThenDrop:
            return nil
        }
    }

    private func createTicket(source: String, body: Data) -> HTTPResponse {
        guard case .object(let parameters)? = JSONValue.parse(body) else {
            return .error(
                400,
                "Invalid request body: expected a JSON object whose keys are the form's parameters."
            )
        }
        guard let sourceConfig = config.sources[source] else { return .notFound }
        if let problem = FeedbackValidator(source: sourceConfig).validate(parameters) {
            return .error(400, problem)
        }
        let ticket: Ticket
        do {
            ticket = try store.create(
                project: config.project, source: source, parameters: parameters)
        } catch {
            logLine("storing a ticket failed: \(error)")
            return .error(500, "Storing the ticket failed: \(error).")
        }
        var elements: [String: JSONValue] = [:]
        for element in sourceConfig.fileElements {
            elements[element] = .string(
                "\(baseURL)/api/v1/feedbackTypes/\(source)/\(ticket.id)/fileElements/\(element)")
        }
        return HTTPResponse(
            status: 201,
            json: .object([
                config.idField: .integer(Int64(ticket.id)), "fileElements": .object(elements),
            ]))
    }
}

/// A failed check that already carries the response to send.
struct ResponseError: Error {
    let response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
