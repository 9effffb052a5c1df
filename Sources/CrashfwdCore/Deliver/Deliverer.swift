import Synchronization

/// Posts queued reports to Centercode and records each outcome in the queue.
///
/// Runs on the delivery thread: `run()` loops until `stop()`, sleeping until the next
/// report is due or `wake()` is called. The HTTP clients are used only on that thread.
public final class Deliverer: @unchecked Sendable {
    let queue: ReportQueue
    let destinations: [String: DestinationConfig]
    let policy: RetryPolicy
    let statistics: Statistics
    private let signal: WakeSignal
    private let stopping = Atomic<Bool>(false)
    private var clients: [String: HTTPClient] = [:]
    /// Destinations paused after a 401, 403 or 404, with the time of the next check and
    /// the current pause length.
    private var paused: [String: (until: Double, length: Double)] = [:]
    static let firstPause = 60.0
    static let longestPause = 3600.0

    public init(
        queue: ReportQueue, destinations: [String: DestinationConfig], policy: RetryPolicy,
        statistics: Statistics
    ) throws {
        self.queue = queue
        self.destinations = destinations
        self.policy = policy
        self.statistics = statistics
        self.signal = try WakeSignal()
    }

    public func wake() { signal.signal() }

    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        signal.signal()
    }

    public func run() {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            let next = deliverDue(now: Clock.now())
            if stopping.load(ordering: .sequentiallyConsistent) { break }
            signal.wait(timeout: next.map { max(0, $0 - Clock.now()) })
        }
    }

    /// Attempts every due report once and returns when the next one is due.
    @discardableResult
    public func deliverDue(now: Double) -> Double? {
        for id in queue.due(now: now) {
            if stopping.load(ordering: .sequentiallyConsistent) { break }
            guard var report = try? queue.load(id) else { continue }
            if let pause = paused[report.destination], pause.until > Clock.now() {
                continue
            }
            attempt(&report)
        }
        let pausedUntil = paused.values.map(\.until).min()
        return [queue.nextAttemptAt, pausedUntil].compactMap { $0 }.min()
    }

    func attempt(_ report: inout Report) {
        guard let destination = destinations[report.destination] else {
            markDead(&report, reason: "destination '\(report.destination)' is no longer in the config; add it back, then run 'crashfwd queue retry \(report.id)'")
            return
        }
        switch report.state {
        case .queued: createTicket(&report, destination: destination)
        case .created: finish(&report)
        case .done, .dead: return
        }
    }

    func client(for destination: DestinationConfig) throws -> HTTPClient {
        if let client = clients[destination.name] { return client }
        let client = try HTTPClient(options: TransportOptions(destination: destination))
        clients[destination.name] = client
        return client
    }

    func createTicket(_ report: inout Report, destination: DestinationConfig) {
        report.attempts += 1
        let url = destination.createURL
        let response: HTTPResponse
        do {
            response = try client(for: destination).postJSON(url: url, body: Array((report.body ?? "{}").utf8))
        } catch {
            retryLater(&report, error: "\(error)", status: nil, retryAfter: nil, destination: destination)
            return
        }
        switch RetryPolicy.classify(status: response.status) {
        case .success:
            recordCreated(&report, response: response, destination: destination)
        case .transient:
            let retryAfter = RetryPolicy.retryAfterSeconds(response.headers["retry-after"], now: Clock.now())
            retryLater(&report, error: ServerAnswer.describe(response), status: response.status, retryAfter: retryAfter, destination: destination)
        case .permanent:
            report.lastStatus = response.status
            markDead(&report, reason: ServerAnswer.describe(response))
        case .endpointRejected:
            pause(destination, report: &report, response: response)
        }
    }

    func recordCreated(_ report: inout Report, response: HTTPResponse, destination: DestinationConfig) {
        let answer = ServerAnswer(response: response, idField: destination.feedbackIDField)
        report.state = .created
        report.feedbackID = answer.feedbackID
        report.fileElements = answer.fileElements
        report.lastError = nil
        report.lastStatus = response.status
        report.updatedAt = Clock.now()
        save(report)
        paused[destination.name] = nil
        statistics.destinationResumed(destination.name)
        statistics.ticketCreated()
        Log.info(
            "ticket created",
            ["REPORT_ID": report.id, "FEEDBACK_ID": answer.feedbackID ?? "unknown", "HTTP_STATUS": "\(response.status)", "DESTINATION": destination.name, "MATCHER": report.detection.matcher],
            id: MessageID.ticketCreated)
        if answer.feedbackID == nil {
            Log.warning(
                "ticket created but the answer has no feedback id; attachments cannot be uploaded",
                ["REPORT_ID": report.id, "ID_FIELD": destination.feedbackIDField, "BODY": String(response.bodyText.prefix(200))])
        }
        finish(&report)
    }

    /// Moves a created report to done once nothing else is left to do for it.
    func finish(_ report: inout Report) {
        report.state = .done
        report.updatedAt = Clock.now()
        save(report)
    }

    func retryLater(_ report: inout Report, error: String, status: Int?, retryAfter: Double?, destination: DestinationConfig) {
        let delay = policy.delay(afterAttempt: report.attempts, retryAfter: retryAfter)
        report.lastError = Redactor.shared.redact(error)
        report.lastStatus = status
        report.nextAttemptAt = Clock.now() + delay
        report.updatedAt = Clock.now()
        save(report)
        statistics.deliveryFailed(reason: status.map { "http_\($0)" } ?? "network")
        Log.warning(
            "delivery failed, will retry",
            ["REPORT_ID": report.id, "ATTEMPT": "\(report.attempts)", "RETRY_IN_SECONDS": String(Int(delay.rounded())), "ERROR": error, "DESTINATION": destination.name],
            id: MessageID.deliveryRetry)
    }

    func markDead(_ report: inout Report, reason: String) {
        report.state = .dead
        report.lastError = Redactor.shared.redact(reason)
        report.updatedAt = Clock.now()
        save(report)
        statistics.deliveryFailed(reason: "rejected")
        Log.error(
            "report rejected by the server and will not be retried; fix the config or form, then run 'crashfwd queue retry ID'",
            ["REPORT_ID": report.id, "REASON": reason, "HTTP_STATUS": report.lastStatus.map(String.init) ?? ""],
            id: MessageID.reportDead)
    }

    func pause(_ destination: DestinationConfig, report: inout Report, response: HTTPResponse) {
        let length = min((paused[destination.name]?.length ?? Deliverer.firstPause / 2) * 2, Deliverer.longestPause)
        let until = Clock.now() + length
        paused[destination.name] = (until: until, length: length)
        statistics.destinationPaused(destination.name, until: until)
        report.lastError = ServerAnswer.describe(response)
        report.lastStatus = response.status
        report.nextAttemptAt = until
        report.updatedAt = Clock.now()
        save(report)
        statistics.deliveryFailed(reason: "http_\(response.status)")
        Log.error(
            "destination rejected the URL or API key; delivery to it is paused and every report is kept. Check url, project, source and the API key",
            ["DESTINATION": destination.name, "URL": Redactor.shared.redact(destination.createURL), "HTTP_STATUS": "\(response.status)", "SERVER_MESSAGE": ServerAnswer.describe(response), "RECHECK_IN_SECONDS": String(Int(length))],
            id: MessageID.destinationPaused)
    }

    func save(_ report: Report) {
        do {
            try queue.save(report)
        } catch {
            // The report file on disk still holds the previous state, so nothing is lost;
            // the attempt is repeated later.
            Log.error("cannot save report state", ["REPORT_ID": report.id, "ERROR": "\(error)"])
        }
    }

    /// Destinations currently paused, with the Unix time of their next check.
    public var pausedDestinations: [String: Double] { paused.mapValues(\.until) }
}
