import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// The long-running process: follows the sources, queues each crash and delivers it.
///
/// The main thread runs a poll(2) loop over the sources, a signalfd and the detector's
/// flush deadlines. A report is written to the queue before the source positions that
/// produced it are saved, so a crash is never skipped by a restart. Delivery runs on its
/// own thread and only reads and updates the queue.
public final class Daemon {
    let config: Config
    let statistics = Statistics()
    let queue: ReportQueue
    let detector: Detector
    let renderers: [String: ReportRenderer]
    var sources: [RecordSource] = []
    let tailer: FileTailer
    let deliverer: Deliverer
    /// Reports that could not be written (for example on a full disk), kept in memory and
    /// retried. While any are here, source positions are not saved.
    var unsaved: [Report] = []
    static let maximumUnsaved = 1000
    static let batchSize = 1000

    public init(config: Config) throws {
        self.config = config
        try FileIO.makeDirectory(config.stateDirectory)
        queue = try ReportQueue(stateDirectory: config.stateDirectory)
        for moved in queue.quarantined {
            Log.error("unreadable report file moved to quarantine", ["FILE": "\(queue.quarantineDirectory)/\(moved.file)", "ERROR": moved.reason])
        }
        let device = DeviceFacts.current()
        renderers = config.destinations.mapValues { ReportRenderer(destination: $0, device: device) }
        detector = try Detector(matchers: config.matchers)
        tailer = try FileTailer(sources: config.files, stateDirectory: config.stateDirectory, maximumLineBytes: config.maximumLineBytes)
        sources = [tailer]
        deliverer = try Deliverer(
            queue: queue, destinations: config.destinations,
            policy: RetryPolicy(initialBackoff: config.delivery.initialBackoff, maximumBackoff: config.delivery.maximumBackoff),
            statistics: statistics)
    }

    /// Runs until SIGTERM or SIGINT and returns the process exit code.
    public func run() throws -> Int32 {
        let signals = try SignalSet()
        let deliverer = self.deliverer
        let worker = try WorkerThread { deliverer.run() }
        logWarnings()
        Log.info("crashfwd started", ["CONFIG": config.file, "STATE_DIRECTORY": config.stateDirectory, "FILES": config.files.map(\.path).joined(separator: ","), "REPORTS_PENDING": "\(queue.count(in: .queued) + queue.count(in: .created))"], id: MessageID.started)
        sd_notify(0, "READY=1")

        var running = true
        while running {
            waitForInput(signals: signals)
            for signal in signals.take() {
                if signal == SIGHUP {
                    Log.warning("SIGHUP received; reloading the config is not supported yet, restart crashfwd to apply changes")
                } else {
                    running = false
                }
            }
            step(now: Clock.monotonic())
        }

        sd_notify(0, "STOPPING=1")
        handle(detector.flushAll())
        savePositions()
        deliverer.stop()
        worker.join()
        for source in sources { source.close() }
        Log.info("crashfwd stopped", [:], id: MessageID.stopped)
        return 0
    }

    func waitForInput(signals: SignalSet) {
        var descriptors = sources.map { pollfd(fd: $0.pollDescriptor, events: Int16(POLLIN), revents: 0) }
        descriptors.append(pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0))
        var timeout: Int32 = -1
        if let deadline = detector.nextDeadline {
            timeout = Int32(max(0, (deadline - Clock.monotonic()) * 1000).rounded(.up))
        }
        if !unsaved.isEmpty { timeout = timeout < 0 ? 5000 : min(timeout, 5000) }
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
                    Log.error("cannot read source", ["ERROR": "\(error)"])
                    break
                }
                for record in records { handle(detector.process(record, now: now)) }
                if records.count < Daemon.batchSize { break }
            }
        }
        handle(detector.flushExpired(now: now))
        logWarnings()
        retryUnsaved()
        if unsaved.isEmpty { savePositions() }
    }

    func handle(_ detections: [Detection]) {
        for detection in detections {
            statistics.crashDetected()
            let report = makeReport(detection)
            Log.info("crash detected", ["REPORT_ID": report.id, "MATCHER": detection.matcher, "SOURCE": detection.source, "FINGERPRINT": detection.fingerprint], id: MessageID.crashDetected)
            store(report)
        }
    }

    /// Renders the body now, so a form mismatch is reported at once; a report that cannot
    /// be rendered is kept as dead with the reason, never dropped.
    func makeReport(_ detection: Detection) -> Report {
        let detection = config.redaction.scrubber.scrub(detection)
        let id = detection.reportID
        var report = Report(id: id, destination: detection.destination, detection: detection, body: nil, now: Clock.now())
        guard let renderer = renderers[detection.destination] else {
            report.state = .dead
            report.lastError = "destination '\(detection.destination)' is not configured"
            return report
        }
        do {
            report.body = String(decoding: try renderer.body(for: detection, reportID: id), as: UTF8.self)
        } catch {
            report.state = .dead
            report.lastError = "cannot render the ticket: \(error)"
            Log.error("cannot render ticket; the report is kept as dead, fix the parameter and run 'crashfwd queue retry ID'", ["REPORT_ID": id, "ERROR": "\(error)"], id: MessageID.reportDead)
        }
        return report
    }

    func store(_ report: Report) {
        do {
            if try queue.enqueue(report) {
                deliverer.wake()
            } else {
                statistics.duplicateSkipped()
                Log.debug("crash already queued or delivered; skipped", ["REPORT_ID": report.id])
            }
        } catch {
            Log.error("cannot write report to the queue; keeping it in memory and retrying", ["REPORT_ID": report.id, "ERROR": "\(error)"])
            unsaved.append(report)
            if unsaved.count > Daemon.maximumUnsaved {
                let dropped = unsaved.removeFirst()
                Log.error("in-memory report buffer is full; dropping the oldest unsaved report", ["REPORT_ID": dropped.id, "LIMIT": "\(Daemon.maximumUnsaved)"])
            }
        }
    }

    func retryUnsaved() {
        guard !unsaved.isEmpty else { return }
        let pending = unsaved
        unsaved.removeAll()
        for report in pending { store(report) }
        if unsaved.isEmpty { Log.info("queued the reports kept in memory", ["COUNT": "\(pending.count)"]) }
    }

    func savePositions() {
        for source in sources {
            do {
                try source.savePositions(oldestPending: detector.oldestPendingPosition(source:))
            } catch {
                Log.error("cannot save source positions; they are saved again on the next change", ["ERROR": "\(error)"])
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
