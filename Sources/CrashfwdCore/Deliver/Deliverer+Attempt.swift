/// One delivery attempt and the queue writes that record its outcome.
extension Deliverer {
    func attempt(_ report: inout Report, clients: ClientCache) {
        guard let destination = destinations[report.destination] else {
            markDead(
                &report,
                reason:
                    "destination '\(report.destination)' is no longer in the config; add it back, then run 'crashfwd queue retry \(report.id)'"
            )
            return
        }
        switch report.state {
        case .queued: createTicket(&report, destination: destination, clients: clients)
        case .created: finish(&report, clients: clients)
        case .done, .dead: return
        }
    }

    /// Sends the create request. The attempt is recorded on disk first, so a crash while
    /// the request is in flight is found at the next start and counted.
    func createTicket(_ report: inout Report, destination: DestinationConfig, clients: ClientCache)
    {
        report.attempts += 1
        report.createRequestSentAt = Clock.now()
        report.updatedAt = Clock.now()
        guard commit(report, holdOnFailure: false) else { return }
        let response: HTTPResponse
        do {
            let body = Array((report.body ?? "{}").utf8)
            response = try clients.client(for: destination).postJSON(
                url: destination.createURL, body: body)
        } catch {
            report.createRequestSentAt = nil
            retryLater(
                &report, error: "\(error)", status: nil, retryAfter: nil, destination: destination)
            return
        }
        report.createRequestSentAt = nil
        handle(response, for: &report, destination: destination)
        // Attachments go only after `created` is on disk, so a crash cannot lose the ticket.
        let written = shared.withLock { $0.unwritten[report.id] == nil }
        if report.state == .created && written { finish(&report, clients: clients) }
    }

    func handle(_ response: HTTPResponse, for report: inout Report, destination: DestinationConfig)
    {
        switch RetryPolicy.classify(status: response.status) {
        case .success:
            recordCreated(&report, response: response, destination: destination)
        case .transient:
            let retryAfter = RetryPolicy.retryAfterSeconds(
                response.headers["retry-after"], now: Clock.now())
            retryLater(
                &report, error: ServerAnswer.describe(response), status: response.status,
                retryAfter: retryAfter, destination: destination)
            if response.status == 429 || retryAfter != nil {
                overloaded(destination, retryAfter: retryAfter ?? 0)
            }
        case .permanent:
            keepResponse(response, in: &report)
            markDead(&report, reason: ServerAnswer.describe(response))
        case .endpointRejected:
            pause(destination, report: &report, response: response)
        }
    }

    /// Records the ticket before anything else happens, to keep the window in which a crash
    /// duplicates the ticket as short as one durable write. The caller then runs `finish`.
    func recordCreated(
        _ report: inout Report, response: HTTPResponse, destination: DestinationConfig
    ) {
        let answer = ServerAnswer(response: response, idField: destination.feedbackIDField)
        report.state = .created
        report.feedbackID = answer.feedbackID
        report.fileElements = answer.fileElements
        report.lastError = nil
        report.lastResponse = nil
        report.lastStatus = response.status
        report.updatedAt = Clock.now()
        commit(report, holdOnFailure: true)
        // The rate is nil when this acceptance ended the destination's pacing.
        let (wasPaced, rate) = shared.withLock { state -> (Bool, Double?) in
            state.paused[destination.name] = nil
            guard var pacing = state.pacing[destination.name] else { return (false, nil) }
            let recovered = pacing.accepted()
            state.pacing[destination.name] = recovered ? nil : pacing
            return (true, recovered ? nil : pacing.rate)
        }
        if wasPaced { statistics.destinationPaced(destination.name, rate: rate) }
        statistics.destinationResumed(destination.name)
        statistics.ticketCreated()
        Log.info(
            "ticket created",
            [
                "REPORT_ID": report.id, "FEEDBACK_ID": answer.feedbackID ?? "unknown",
                "HTTP_STATUS": "\(response.status)", "DESTINATION": destination.name,
                "MATCHER": report.detection.matcher,
            ],
            id: MessageID.ticketCreated)
        if answer.feedbackID == nil {
            Log.warning(
                "ticket created but the response has no feedback id; attachments cannot be uploaded",
                [
                    "REPORT_ID": report.id, "ID_FIELD": destination.feedbackIDField,
                    "BODY": String(response.bodyText.prefix(200)),
                ])
        }
    }

    /// Uploads the report's due attachments and moves it to done once every attachment is
    /// finished; until then it stays created and comes due again for the next upload.
    func finish(_ report: inout Report, clients: ClientCache) {
        if let destination = destinations[report.destination], !report.attachments.isEmpty {
            let uploader = AttachmentUploader(
                policy: policy, save: { self.commit($0, holdOnFailure: true) },
                isStopping: { self.isStopping })
            let client = { try clients.client(for: destination) }
            let finished = uploader.uploadDue(
                &report, destination: destination, client: client, now: Clock.now())
            guard finished else { return }
        }
        report.state = .done
        report.updatedAt = Clock.now()
        if commit(report, holdOnFailure: true) {
            AttachmentStore.removeStaged(reportID: report.id, stateDirectory: queue.directory)
        }
    }

    /// Starts or restarts pacing a destination that reported overload, and logs the new
    /// rate the first time.
    func overloaded(_ destination: DestinationConfig, retryAfter: Double) {
        let interval = min(settings.overloadInterval, settings.maximumBackoff)
        let (started, holdUntil, rate) = shared.withLock { state in
            let started = state.pacing[destination.name] == nil
            var pacing =
                state.pacing[destination.name]
                ?? OverloadPacing(rateLimit: settings.rateLimit, interval: interval)
            pacing.overloaded(
                now: Clock.now(), retryAfter: retryAfter, fraction: Double.random(in: 0...1))
            state.pacing[destination.name] = pacing
            return (started, pacing.holdUntil, pacing.rate)
        }
        statistics.destinationPaced(destination.name, rate: rate)
        if started {
            Log.warning(
                "destination reported overload; slowing to one request per interval, then speeding up as requests are accepted",
                [
                    "DESTINATION": destination.name, "INTERVAL_SECONDS": format2(interval),
                    "NEXT_REQUEST_IN_SECONDS": format2(max(0, holdUntil - Clock.now())),
                ])
        }
    }

    func retryLater(
        _ report: inout Report, error: String, status: Int?, retryAfter: Double?,
        destination: DestinationConfig
    ) {
        let delay = policy.delay(afterAttempt: report.attempts, retryAfter: retryAfter)
        report.lastError = Redactor.shared.redact(error)
        report.lastStatus = status
        report.nextAttemptAt = Clock.now() + delay
        report.updatedAt = Clock.now()
        commit(report, holdOnFailure: true)
        statistics.deliveryFailed(reason: status.map { "http_\($0)" } ?? "network")
        Log.warning(
            "delivery failed, will retry",
            [
                "REPORT_ID": report.id, "ATTEMPT": "\(report.attempts)",
                "HTTP_STATUS": status.map(String.init) ?? "", "RETRY_IN_SECONDS": format2(delay),
                "ERROR": error, "DESTINATION": destination.name,
            ],
            id: MessageID.deliveryRetry)
    }

    func markDead(_ report: inout Report, reason: String) {
        report.state = .dead
        report.lastError = Redactor.shared.redact(reason)
        report.updatedAt = Clock.now()
        commit(report, holdOnFailure: true)
        statistics.deliveryFailed(reason: "rejected")
        Log.error(
            "report rejected by the server and will not be retried; fix the config or form, then run 'crashfwd queue retry ID'",
            [
                "REPORT_ID": report.id, "REASON": reason,
                "HTTP_STATUS": report.lastStatus.map(String.init) ?? "",
                "ATTEMPT": "\(report.attempts)",
            ],
            id: MessageID.reportDead)
    }

    func keepResponse(_ response: HTTPResponse, in report: inout Report) {
        report.lastStatus = response.status
        report.lastResponse = Redactor.shared.redact(String(response.bodyText.prefix(4096)))
    }

    /// Pauses every report of a destination after a 401, 403 or 404. The report is kept
    /// and tried again when the pause ends; each further rejection doubles the pause.
    func pause(_ destination: DestinationConfig, report: inout Report, response: HTTPResponse) {
        let length = shared.withLock { state in
            let previous = state.paused[destination.name]?.length
            let length =
                previous.map { min($0 * 2, Deliverer.longestPause) } ?? settings.recheckInterval
            state.paused[destination.name] = DeliveryState.Pause(
                until: Clock.now() + length, length: length)
            return length
        }
        statistics.destinationPaused(destination.name, until: Clock.now() + length)
        keepResponse(response, in: &report)
        report.lastError = ServerAnswer.describe(response)
        // The pause alone keeps the report back. Its due time stays, so a restart with a
        // fixed config tries it at once.
        report.updatedAt = Clock.now()
        commit(report, holdOnFailure: true)
        statistics.deliveryFailed(reason: "http_\(response.status)")
        Log.error(
            "destination rejected the URL or API key; delivery to it is paused and every report is kept. Check url, project, source and the API key",
            [
                "DESTINATION": destination.name,
                "URL": Redactor.shared.redact(destination.createURL),
                "HTTP_STATUS": "\(response.status)",
                "SERVER_MESSAGE": ServerAnswer.describe(response),
                "RECHECK_IN_SECONDS": format2(length), "REPORT_ID": report.id,
            ],
            id: MessageID.destinationPaused)
    }
}

/// Formats seconds with at most two decimals, for log fields.
func format2(_ seconds: Double) -> String {
    let hundredths = Int((seconds * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
