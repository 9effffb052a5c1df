import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Writes the status file, the metrics file and the unit's `STATUS=` line when the daemon's
/// state changes, and never on a timer while nothing changes.
///
/// The poll loop wakes for changes made on any thread: the statistics eventfd covers the
/// counters, and an inotify watch on `STATE/reports` covers every queue write, including
/// those of `crashfwd queue retry` or `drop` run by an operator. Writes are at least
/// `minimumInterval` apart, so a burst of crashes costs one write per second. While
/// reports are pending and metrics are on, the metrics file is also refreshed every
/// `metricsRefreshInterval` so that the oldest-report age stays current.
final class StatusPublisher {
    let service: ServiceConfig
    let startedAt: Double
    let statistics: Statistics
    private var published: StatusReport?
    private var lastWriteAt = -Double.infinity
    private var failing = false
    /// Monotonic seconds at which a deferred write is due, or nil when none is.
    private(set) var nextWriteAt: Double?
    static let minimumInterval = 1.0
    static let metricsRefreshInterval = 60.0

    init(service: ServiceConfig, reportsDirectory: String, statistics: Statistics) {
        self.service = service
        self.statistics = statistics
        startedAt = Clock.now()
    }

    /// Every change of state in the daemon, the delivery threads included, passes through
    /// `Statistics`, whose eventfd wakes the main loop. The queue directory is not watched
    /// as well: that would cost an inotify instance per daemon (the per-user default limit
    /// is 128) and a wake-up per report write, and `crashfwd status` reads the queue
    /// directory itself.
    var pollDescriptors: [Int32] { [statistics.changeDescriptor] }

    /// Clears the wake-up descriptors after poll(2) returned.
    func drainEvents() {
        statistics.drainChanges()
    }

    /// Writes `report` if it differs from the last one written, or defers the write until
    /// `minimumInterval` has passed since that one. Returns true when it wrote.
    @discardableResult
    func update(_ report: StatusReport, now: Double, notifier: ServiceNotifier) -> Bool {
        var comparable = report
        comparable.updatedAt = published?.updatedAt ?? 0
        let changed = comparable != published
        let refreshMetrics =
            service.metricsFile != nil && report.queue.depth > 0
            && now - lastWriteAt >= StatusPublisher.metricsRefreshInterval
        guard changed || refreshMetrics else {
            nextWriteAt = nil
            return false
        }
        guard now - lastWriteAt >= StatusPublisher.minimumInterval else {
            nextWriteAt = lastWriteAt + StatusPublisher.minimumInterval
            return false
        }
        write(report)
        notifier.status(report.statusLine)
        published = report
        lastWriteAt = now
        let refreshing = service.metricsFile != nil && report.queue.depth > 0
        nextWriteAt = refreshing ? now + StatusPublisher.metricsRefreshInterval : nil
        return true
    }

    /// Writes both files; a failure is logged once until a write succeeds again.
    func write(_ report: StatusReport) {
        do {
            try report.write(to: service.statusFile)
            if let metricsFile = service.metricsFile {
                try MetricsWriter.write(report, to: metricsFile, now: Clock.now())
            }
            if failing { Log.info("status and metrics files are written again") }
            failing = false
        } catch {
            if !failing {
                Log.error(
                    "cannot write the status or metrics file; retrying on the next change",
                    [
                        "STATUS_FILE": service.statusFile,
                        "METRICS_FILE": service.metricsFile ?? "",
                        "ERROR": "\(error)",
                    ])
            }
            failing = true
        }
    }
}
