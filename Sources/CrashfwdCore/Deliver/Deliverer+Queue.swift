/// Queue upkeep done by the delivery threads: durable writes, recovery after a crash,
/// operator requests and the queue limits.
extension Deliverer {
    /// Writes a report's state and returns true once it is on disk.
    ///
    /// When the write fails (on a full disk, for example), all attempts pause until writes
    /// work again. With `holdOnFailure`, the state is also kept in memory and written
    /// before anything else happens to the report.
    @discardableResult
    func commit(_ report: Report, holdOnFailure: Bool) -> Bool {
        do {
            if try !queue.update(report) {
                Log.warning(
                    "report was removed while it was being delivered",
                    ["REPORT_ID": report.id, "STATE": report.state.rawValue])
            }
            return true
        } catch {
            shared.withLock { state in
                state.writeFailedAt = Clock.monotonic()
                if holdOnFailure { state.unwritten[report.id] = report }
            }
            Log.error(
                "cannot save report state; keeping it in memory and retrying",
                [
                    "REPORT_ID": report.id, "STATE": report.state.rawValue,
                    "HELD": holdOnFailure ? "yes" : "no", "ERROR": "\(error)",
                ])
            return false
        }
    }

    /// Writes the states kept in memory; returns false while writes still fail.
    func writeHeldStates() -> Bool {
        let (held, failedAt) = shared.withLock { ($0.unwritten, $0.writeFailedAt) }
        guard let failedAt else { return true }
        if Clock.monotonic() < failedAt + Deliverer.writeRetryInterval { return false }
        for (id, report) in held {
            do {
                try queue.update(report)
                _ = shared.withLock { $0.unwritten.removeValue(forKey: id) }
            } catch {
                shared.withLock { $0.writeFailedAt = Clock.monotonic() }
                Log.error(
                    "cannot save report state yet; retrying",
                    ["REPORT_ID": id, "ERROR": "\(error)"])
                return false
            }
        }
        shared.withLock { $0.writeFailedAt = nil }
        if !held.isEmpty {
            Log.info("saved the report states kept in memory", ["COUNT": "\(held.count)"])
        }
        return true
    }

    /// Counts and clears the markers of create requests that a crash interrupted. Each
    /// such report may already have a ticket on the server.
    func recoverInterruptedAttempts() {
        for id in queue.interruptedCreateIDs() {
            guard var report = try? queue.load(id), let sentAt = report.createRequestSentAt else {
                continue
            }
            report.createRequestSentAt = nil
            report.possibleDuplicates = (report.possibleDuplicates ?? 0) + 1
            commit(report, holdOnFailure: true)
            statistics.possibleDuplicate()
            Log.warning(
                "a create request was interrupted by a restart; the server may hold this ticket twice",
                [
                    "REPORT_ID": id, "SENT_AT": "\(Int(sentAt))",
                    "POSSIBLE_DUPLICATES": "\(report.possibleDuplicates ?? 1)",
                ],
                id: MessageID.possibleDuplicate)
        }
    }

    /// Applies the requests written by `crashfwd queue` while this daemon runs.
    func applyRequests(now: Double) {
        for result in queue.takeRequests() {
            switch result {
            case .failure(let error):
                Log.warning("ignored an invalid queue request", ["ERROR": error.description])
            case .success(let request):
                apply(request, now: now)
            }
        }
    }

    private func apply(_ request: QueueRequest, now: Double) {
        do {
            let reports = try queue.apply(request, now: now)
            if request.action != .drop {
                let resumed = Set(reports.map(\.destination))
                shared.withLock { state in for name in resumed { state.paused[name] = nil } }
            }
            for report in reports {
                if request.action == .drop {
                    AttachmentStore.removeStaged(
                        reportID: report.id, stateDirectory: queue.directory)
                }
                Log.info(
                    "queue request applied",
                    ["ACTION": request.action.rawValue, "REPORT_ID": report.id])
            }
        } catch {
            Log.warning(
                "queue request failed",
                [
                    "ACTION": request.action.rawValue, "REPORT_ID": request.id ?? "",
                    "ERROR": "\(error)",
                ])
        }
    }

    /// Runs `enforceLimits()` when the last run is `limitCheckInterval` old.
    func enforceLimitsIfDue() {
        let due = shared.withLock { state in
            guard Clock.monotonic() >= state.limitsCheckedAt + Deliverer.limitCheckInterval else {
                return false
            }
            state.limitsCheckedAt = Clock.monotonic()
            return true
        }
        if due { enforceLimits() }
    }

    /// Drops staged attachments, then reports, beyond the `delivery:` limits (see
    /// `ReportQueue.enforce`), logging and counting each. Reports with a request in flight
    /// are kept, and so are their staged files.
    public func enforceLimits() {
        let attachments = StagedAttachments(
            queue: queue, statistics: statistics, claim: { self.claim($0) },
            release: { self.release($0) })
        let evicted = queue.enforce(
            settings.limits, now: Clock.now(), keep: claimedIDs, attachments: attachments)
        for eviction in evicted {
            AttachmentStore.removeStaged(reportID: eviction.id, stateDirectory: queue.directory)
            statistics.reportEvicted(reason: eviction.reason.rawValue)
            let fields = [
                "REPORT_ID": eviction.id, "STATE": eviction.state.rawValue,
                "LIMIT": eviction.reason.rawValue,
            ]
            if eviction.state == .done {
                Log.info(
                    "removed a delivered report's record to stay within the queue limits", fields)
            } else {
                Log.error(
                    "dropped an undelivered report to stay within the queue limits", fields,
                    id: MessageID.reportEvicted)
            }
        }
    }
}
