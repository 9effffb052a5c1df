import CLinux
import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// The long-running process: follows the sources, queues each crash and delivers it.
///
/// The main thread runs a poll(2) loop over the sources, a signalfd and the status
/// wake-ups, with timeouts for the detector's flush deadlines and the watchdog pings. A report is written to the queue before the source positions that
/// produced it are saved, so a crash is never skipped by a restart. Delivery runs on its
/// own thread and only reads and updates the queue.
public final class Daemon {
    var config: Config
    let statistics: Statistics
    let httpWorker: String?
    let queue: ReportQueue
    var detector: Detector
    var folder: CrashFolder
    /// True when the folding state changed since it was last saved.
    var foldingChanged = false
    var renderers: [String: ReportRenderer]
    var sources: [RecordSource] = []
    var tailer: FileTailer
    var deliverer: Deliverer
    var worker: WorkerThread?
    /// The `--log-level` given on the command line, which a reloaded config does not change.
    public var logLevelOverride: LogLevel?
    /// Held for the daemon's lifetime, so `crashfwd queue` and a second daemon know the
    /// state directory is in use.
    let stateLock: StateLock
    /// Reports that could not be written (for example on a full disk), kept in memory and
    /// retried. While any are here, source positions are not saved.
    var unsaved: [Report] = []
    static let maximumUnsaved = 1000
    static let batchSize = 1000

    /// The parts of the daemon that depend on the config and are rebuilt on reload. The
    /// queue and the statistics are kept.
    struct Components {
        var detector: Detector
        var folder: CrashFolder
        var renderers: [String: ReportRenderer]
        var tailer: FileTailer
        var sources: [RecordSource]
        var deliverer: Deliverer
    }

    /// `httpWorker` is the crashfwd executable that sends requests from a child process
    /// (see `HTTPWorker`); nil sends them from this process.
    public init(config: Config, httpWorker: String? = nil) throws {
        self.config = config
        self.httpWorker = httpWorker
        let statistics = Statistics()
        self.statistics = statistics
        try FileIO.makeDirectory(config.stateDirectory)
        guard
            let lock = try StateLock.acquire(stateDirectory: config.stateDirectory, waitSeconds: 10)
        else {
            throw DaemonError(
                description:
                    "another crashfwd process is using the state directory \(config.stateDirectory); stop it first"
            )
        }
        stateLock = lock
        queue = try ReportQueue(stateDirectory: config.stateDirectory)
        for moved in queue.quarantined {
            Log.error(
                "unreadable report file moved to quarantine",
                ["FILE": "\(queue.quarantineDirectory)/\(moved.file)", "ERROR": moved.reason])
        }
        let components = try Daemon.makeComponents(
            config: config, queue: queue, statistics: statistics, httpWorker: httpWorker)
        detector = components.detector
        folder = components.folder
        renderers = components.renderers
        tailer = components.tailer
        sources = components.sources
        deliverer = components.deliverer
    }

    /// Builds the sources, detector, renderers and deliverer of a config. Sources resume
    /// from the positions saved in the state directory.
    static func makeComponents(
        config: Config, queue: ReportQueue, statistics: Statistics, httpWorker: String?
    ) throws -> Components {
        AttachmentUploader.configure(config.attach)
        let device = DeviceFacts.current()
        let renderers = config.destinations.mapValues {
            ReportRenderer(destination: $0, device: device)
        }
        let detector = try Detector(matchers: config.matchers)
        let folder = CrashFolder(config: config.folding, stateDirectory: config.stateDirectory)
        if let problem = folder.loadProblem {
            Log.warning(
                "crash-loop folding state is unreadable; folding starts empty", ["ERROR": problem])
        }
        let tailer = try FileTailer(
            sources: config.files, stateDirectory: config.stateDirectory,
            maximumLineBytes: config.maximumLineBytes)
        var sources: [RecordSource] = [tailer]
        if let journal = config.journal, journal.enabled {
            sources.append(
                try JournalSource(config: journal, stateDirectory: config.stateDirectory))
        }
        let deliverer = try Deliverer(
            queue: queue, destinations: config.destinations, settings: config.delivery,
            statistics: statistics, httpWorker: httpWorker)
        return Components(
            detector: detector, folder: folder, renderers: renderers, tailer: tailer,
            sources: sources,
            deliverer: deliverer)
    }

    /// Runs until SIGTERM or SIGINT and returns the process exit code. SIGHUP reloads the
    /// config (see `reload()`).
    public func run() throws -> Int32 {
        // The API key stays in memory for the life of the process and Swift strings cannot
        // be wiped, so a core dump of crashfwd itself would contain it.
        if crashfwd_disable_core_dumps() != 0 {
            Log.warning(
                "cannot turn off core dumps of crashfwd; a crash of it could write the API key to disk",
                ["ERROR": "\(SystemError("prctl"))"])
        }
        let signals = try SignalSet()
        try startDelivery()
        logWarnings()
        Log.info(
            "crashfwd started",
            [
                "CONFIG": config.file, "STATE_DIRECTORY": config.stateDirectory,
                "FILES": config.files.map(\.path).joined(separator: ","),
                "REPORTS_PENDING": "\(queue.count(in: .queued) + queue.count(in: .created))",
            ], id: MessageID.started)
        let notifier = ServiceNotifier(now: Clock.monotonic())
        let publisher = StatusPublisher(
            service: config.service, reportsDirectory: queue.reportsDirectory,
            statistics: statistics)
        let status = makeStatusReport(startedAt: publisher.startedAt)
        publisher.update(status, now: Clock.monotonic(), notifier: notifier)
        notifier.ready(status: status.statusLine)

        var running = true
        while running {
            waitForInput(signals: signals, notifier: notifier, publisher: publisher)
            notifier.pingIfDue(now: Clock.monotonic())
            publisher.drainEvents()
            for signal in signals.take() {
                if signal == SIGHUP {
                    try reload(notifier: notifier)
                } else {
                    Log.info(
                        "stopping", ["SIGNAL": signal == SIGINT ? "SIGINT" : "SIGTERM"],
                        id: MessageID.stopping)
                    running = false
                }
            }
            step(now: Clock.monotonic())
            let now = Clock.monotonic()
            publisher.update(
                makeStatusReport(startedAt: publisher.startedAt), now: now, notifier: notifier)
        }

        notifier.stopping()
        handle(detector.flushAll())
        savePositions()
        stopDelivery()
        publisher.write(makeStatusReport(startedAt: publisher.startedAt))
        for source in sources { source.close() }
        Log.info("crashfwd stopped", [:], id: MessageID.stopped)
        return 0
    }

    func startDelivery() throws {
        let deliverer = self.deliverer
        worker = try WorkerThread { deliverer.run() }
    }

    /// Stops the delivery thread after its current request; the report of that request is
    /// saved with its outcome before the thread ends.
    func stopDelivery() {
        deliverer.stop()
        worker?.join()
        worker = nil
    }

    /// Sleeps in poll(2) until a source, a signal or a state change is ready, or until the
    /// next deadline: a detector flush, a watchdog ping, a deferred status write or the
    /// retry of unsaved reports. With no deadline and no event it sleeps without limit.
    func waitForInput(signals: SignalSet, notifier: ServiceNotifier, publisher: StatusPublisher) {
        var descriptors = sources.map {
            pollfd(fd: $0.pollDescriptor, events: Int16(POLLIN), revents: 0)
        }
        descriptors.append(pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0))
        for descriptor in publisher.pollDescriptors {
            descriptors.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0))
        }
        let now = Clock.monotonic()
        var deadlines = [detector.nextDeadline, notifier.nextPingAt, publisher.nextWriteAt]
        if let foldingDeadline = folder.nextDeadline {
            // Folding windows are wall-clock times; the poll deadline is monotonic.
            deadlines.append(now + max(0, foldingDeadline - Clock.now()))
        }
        if !unsaved.isEmpty { deadlines.append(now + 5) }
        var timeout: Int32 = -1
        if let deadline = deadlines.compactMap({ $0 }).min() {
            timeout = Int32(min(max(0, (deadline - now) * 1000), 86_400_000).rounded(.up))
        }
        for case let journal as JournalSource in sources {
            guard let seconds = journal.pollTimeout else { continue }
            let milliseconds = Int32((seconds * 1000).rounded(.up))
            timeout = timeout < 0 ? milliseconds : min(timeout, milliseconds)
        }
        _ = poll(&descriptors, nfds_t(descriptors.count), timeout)
    }

    /// Reads every source, queues what the detector finds, then saves positions.
    func step(now: Double) {
        for source in sources {
            while true {
                let records: [LogRecord]
                do {
                    records = try source.read(limit: Daemon.batchSize)
                } catch {
                    Log.error(
                        "reading a source failed; it is read again on its next event",
                        ["ERROR": "\(error)"])
                    statistics.errorOccurred("reading a source failed: \(error)")
                    break
                }
                for record in records { handle(detector.process(record, now: now)) }
                if records.count < Daemon.batchSize { break }
            }
        }
        handle(detector.flushExpired(now: now))
        queueSummaries()
        logWarnings()
        retryUnsaved()
        if unsaved.isEmpty { savePositions() }
    }

    func handle(_ detections: [Detection]) {
        for detection in detections {
            statistics.crashDetected()
            foldingChanged = true
            if folder.admit(detection, now: Clock.now()) == .folded {
                statistics.crashFolded()
                Log.debug(
                    "crash folded into its crash loop",
                    ["MATCHER": detection.matcher, "FINGERPRINT": detection.fingerprint])
                continue
            }
            let report = makeReport(detection)
            Log.info(
                "crash detected",
                [
                    "REPORT_ID": report.id, "MATCHER": detection.matcher,
                    "SOURCE": detection.source, "FINGERPRINT": detection.fingerprint,
                ], id: MessageID.crashDetected)
            store(report)
        }
    }

    /// Renders the body now, so a form mismatch is reported at once. A report that cannot
    /// be rendered is kept as dead with the reason, never dropped.
    func makeReport(_ detection: Detection) -> Report {
        let detection = config.redaction.scrubber.scrub(detection)
        let id = detection.reportID
        var report = Report(
            id: id, destination: detection.destination, detection: detection, body: nil,
            now: Clock.now())
        report.attachments = AttachmentStager(config: config).stage(
            detection, reportID: id, queue: queue)
        guard let renderer = renderers[detection.destination] else {
            report.state = .dead
            report.lastError = "destination '\(detection.destination)' is not configured"
            return report
        }
        do {
            report.body = String(
                decoding: try renderer.body(for: detection, reportID: id), as: UTF8.self)
        } catch {
            report.state = .dead
            report.lastError = "cannot render the ticket: \(error)"
            Log.error(
                "cannot render ticket; the report is kept as dead, fix the parameter and run 'crashfwd queue retry ID'",
                ["REPORT_ID": id, "ERROR": "\(error)"], id: MessageID.reportDead)
        }
        return report
    }

    func store(_ report: Report) {
        do {
            if try queue.enqueue(report) {
                deliverer.enforceLimits()
                deliverer.wake()
            } else {
                statistics.duplicateSkipped()
                Log.debug("crash already queued or delivered; skipped", ["REPORT_ID": report.id])
            }
        } catch {
            Log.error(
                "cannot write report to the queue; keeping it in memory and retrying",
                ["REPORT_ID": report.id, "ERROR": "\(error)"])
            unsaved.append(report)
            if unsaved.count > Daemon.maximumUnsaved {
                let dropped = unsaved.removeFirst()
                statistics.unsavedDropped()
                Log.error(
                    "in-memory report buffer is full; dropping the oldest unsaved report",
                    ["REPORT_ID": dropped.id, "LIMIT": "\(Daemon.maximumUnsaved)"])
            }
        }
    }

    func retryUnsaved() {
        guard !unsaved.isEmpty else { return }
        let pending = unsaved
        unsaved.removeAll()
        for report in pending { store(report) }
        if unsaved.isEmpty {
            Log.info("queued the reports kept in memory", ["COUNT": "\(pending.count)"])
        }
    }

    /// Queues the summary reports of crash-loop windows that have closed.
    func queueSummaries() {
        let summaries = folder.expired(now: Clock.now())
        guard !summaries.isEmpty else { return }
        foldingChanged = true
        for summary in summaries {
            let report = makeReport(summary)
            Log.info(
                "crash loop summary",
                [
                    "REPORT_ID": report.id, "FINGERPRINT": summary.fingerprint,
                    "OCCURRENCES": summary.captures["occurrences"] ?? "",
                ], id: MessageID.crashDetected)
            store(report)
        }
    }

    /// Saves the folding state, then every source's position. The folding state goes first,
    /// so a restart cannot read a folded repeat again and ticket it.
    func savePositions() {
        if foldingChanged {
            do {
                try folder.save()
                foldingChanged = false
            } catch {
                Log.error(
                    "cannot save the crash-loop folding state; positions are not saved either",
                    ["ERROR": "\(error)"])
                return
            }
        }
        for source in sources {
            do {
                try source.savePositions(oldestPending: detector.oldestPendingPosition(source:))
            } catch {
                Log.error(
                    "cannot save source positions; they are saved again on the next change",
                    ["ERROR": "\(error)"])
            }
        }
    }

    func logWarnings() {
        for warning in tailer.warnings {
            Log.warning("log file problem", ["FILE": warning.path, "ERROR": warning.message])
        }
        tailer.warnings.removeAll()
    }
}

/// A condition that stops the daemon from starting.
struct DaemonError: Error, CustomStringConvertible {
    var description: String
}
