/// Bounds on what the queue keeps on disk, from the `delivery:` config section.
public struct QueueLimits: Sendable, Equatable {
    /// Maximum number of report files kept, in every state.
    public var maximumReports: Int = 10_000
    /// Maximum bytes kept: report files plus stored attachments.
    public var maximumBytes: Int = 256 << 20
    /// Seconds after which an undelivered report is dropped, counted from its detection.
    public var maximumAge: Double = 30 * 86400
    /// Seconds a dead report is kept after its last change.
    public var deadRetention: Double = 30 * 86400

    public init() {}
}

/// Storage of attachments that the queue limits may shrink before they drop reports.
/// `StagedAttachments` implements it for the files under `STATE/attachments/`.
public protocol AttachmentEvicting: Sendable {
    /// Bytes used by all stored attachments.
    func storedBytes() -> Int
    /// Deletes attachments, those of the oldest reports first, until at least `bytes` bytes
    /// are freed or none are left. Logs each deletion and returns the bytes freed.
    func evictOldest(freeing bytes: Int) -> Int
}

/// One report removed by `ReportQueue.enforce`.
public struct Eviction: Sendable, Equatable {
    public enum Reason: String, Sendable {
        case maximumAge = "max_age"
        case deadRetention = "dead_retention"
        case maximumReports = "max_reports"
        case maximumBytes = "max_bytes"
    }

    public var id: String
    public var state: Report.State
    public var reason: Reason
}

extension ReportQueue {
    /// Removes reports until the queue is within `limits`, and returns what it removed.
    ///
    /// First every report older than `maximumAge` (and every dead report past
    /// `deadRetention`) goes. Then, while the bytes are over their limit, `attachments`
    /// drops attachments. Then, while the count or the bytes are still over, the queue
    /// drops done reports (they only remember delivered crashes), then dead reports, then
    /// pending ones. Each group goes oldest first, and reports in `keep` (attempts in
    /// flight) stay.
    public func enforce(
        _ limits: QueueLimits, now: Double, keep: Set<String> = [],
        attachments: (any AttachmentEvicting)? = nil
    ) -> [Eviction] {
        var evicted: [Eviction] = []
        let expired = entries { entry in
            entry.createdAt < now - limits.maximumAge
                || (entry.state == .dead && entry.updatedAt < now - limits.deadRetention)
        }
        for (id, entry) in expired where !keep.contains(id) {
            if entry.createdAt < now - limits.maximumAge {
                evicted.append(Eviction(id: id, state: entry.state, reason: .maximumAge))
            } else if entry.state == .dead && entry.updatedAt < now - limits.deadRetention {
                evicted.append(Eviction(id: id, state: entry.state, reason: .deadRetention))
            }
        }
        evicted = evicted.filter { (try? remove($0.id)) != nil }
        evicted += enforceSize(limits, keep: keep, attachments: attachments)
        return evicted
    }

    private func enforceSize(
        _ limits: QueueLimits, keep: Set<String>, attachments: (any AttachmentEvicting)?
    ) -> [Eviction] {
        var (count, bytes) = totals()
        if let attachments {
            let attachmentBytes = attachments.storedBytes()
            if bytes + attachmentBytes > limits.maximumBytes {
                bytes +=
                    attachmentBytes
                    - attachments.evictOldest(
                        freeing: bytes + attachmentBytes - limits.maximumBytes)
            } else {
                bytes += attachmentBytes
            }
        }
        var evicted: [Eviction] = []
        // The whole index is copied and sorted only when something has to go.
        guard count > limits.maximumReports || bytes > limits.maximumBytes else { return [] }
        for (id, entry) in ReportQueue.evictionOrder(entries { _ in true }) where !keep.contains(id)
        {
            guard count > limits.maximumReports || bytes > limits.maximumBytes else { break }
            guard (try? remove(id)) != nil else { continue }
            let reason: Eviction.Reason =
                count > limits.maximumReports ? .maximumReports : .maximumBytes
            evicted.append(Eviction(id: id, state: entry.state, reason: reason))
            count -= 1
            bytes -= entry.bytes
        }
        return evicted
    }

    /// Done reports, then dead ones, then pending ones; oldest first within each group.
    static func evictionOrder(_ entries: [(id: String, entry: Entry)]) -> [(String, Entry)] {
        func rank(_ state: Report.State) -> Int {
            switch state {
            case .done: 0
            case .dead: 1
            case .queued, .created: 2
            }
        }
        return entries.sorted {
            (rank($0.entry.state), $0.entry.createdAt, $0.id)
                < (rank($1.entry.state), $1.entry.createdAt, $1.id)
        }.map { ($0.id, $0.entry) }
    }
}
