import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// The running daemon's state as it writes it to `STATE/status.json` (see `ServiceConfig`)
/// and as `crashfwd status --json` prints it. Times are Unix seconds.
public struct StatusReport: Codable, Sendable, Equatable {
    /// One followed input and how far it has been read.
    public struct Source: Codable, Sendable, Equatable {
        /// `file` or `journal`.
        public var kind: String
        /// The file path or the journal's description.
        public var name: String
        /// A byte offset for a file, a cursor for the journal.
        public var position: String

        public init(kind: String, name: String, position: String) {
            self.kind = kind
            self.name = name
            self.position = position
        }
    }

    public var version: String
    public var pid: Int32
    public var startedAt: Double
    public var updatedAt: Double
    public var configFile: String
    public var stateDirectory: String
    public var destinations: [String]
    public var sources: [Source]
    public var crashesDetected: Int
    public var ticketsCreated: Int
    public var duplicatesSkipped: Int
    /// Failed delivery attempts by reason: `network`, `http_STATUS` or `rejected`.
    public var deliveryFailures: [String: Int]
    public var configReloads: Int
    public var configReloadFailures: Int
    public var queue: QueueSummary
    /// Paused destinations with the time of their next attempt.
    public var pausedDestinations: [String: Double]
    /// Destinations paced after an overload response, with their rate in requests per
    /// second; nil in status files written by versions without pacing.
    public var pacedDestinations: [String: Double]?
    public var lastDelivery: Double?
    public var lastError: String?
    public var lastErrorAt: Double?

    /// The one-line summary sent as the unit's `STATUS=`.
    public var statusLine: String {
        var parts = ["\(sources.count) source(s)", "\(queue.depth) report(s) pending"]
        parts.append("\(ticketsCreated) ticket(s) created")
        if let lastDelivery { parts.append("last at \(StatusReport.iso8601(lastDelivery))") }
        if !pausedDestinations.isEmpty {
            parts.append("paused: \(pausedDestinations.keys.sorted().joined(separator: ","))")
        }
        if let paced = pacedDestinations, !paced.isEmpty {
            parts.append("paced: \(paced.keys.sorted().joined(separator: ","))")
        }
        return parts.joined(separator: "; ")
    }

    public static func iso8601(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds.rounded(.down)).formatted(.iso8601)
    }

    /// Reads a status file; returns nil when it does not exist.
    public static func load(path: String) throws -> StatusReport? {
        guard let bytes = try FileIO.readFile(path) else { return nil }
        return try JSONCoding.decode(StatusReport.self, from: bytes)
    }

    func write(to path: String) throws {
        try DurableFile.write(try JSONCoding.encode(self, pretty: true), to: path, mode: 0o640)
    }
}

/// Report counts by state and the age of the oldest pending report.
public struct QueueSummary: Codable, Sendable, Equatable {
    /// Reports by state name; every state is present.
    public var reports: [String: Int]
    /// Reports still to deliver: queued plus created.
    public var depth: Int
    /// When the oldest pending report was queued, or nil when none is pending.
    public var oldestPendingCreatedAt: Double?

    init(counts: [Report.State: Int], oldestPendingCreatedAt: Double?) {
        reports = Dictionary(
            uniqueKeysWithValues: Report.State.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
        depth = (counts[.queued] ?? 0) + (counts[.created] ?? 0)
        self.oldestPendingCreatedAt = oldestPendingCreatedAt
    }

    init(states: [(state: Report.State, createdAt: Double)]) {
        var counts: [Report.State: Int] = [:]
        var oldest: Double?
        for item in states {
            counts[item.state, default: 0] += 1
            if item.state == .queued || item.state == .created {
                oldest = min(oldest ?? item.createdAt, item.createdAt)
            }
        }
        self.init(counts: counts, oldestPendingCreatedAt: oldest)
    }

    init(queue: ReportQueue) {
        let (counts, oldest) = queue.stateCounts()
        self.init(counts: counts, oldestPendingCreatedAt: oldest)
    }

    /// Reads the report files of a queue directory without changing anything in it, unlike
    /// `ReportQueue.init`, which also moves unreadable files to quarantine. Unreadable files
    /// are counted in `unreadable`.
    public static func scan(stateDirectory: String) throws -> (
        summary: QueueSummary, unreadable: Int
    ) {
        let directory = "\(stateDirectory)/reports"
        var states: [(state: Report.State, createdAt: Double)] = []
        var unreadable = 0
        let names = FileIO.exists(directory) ? try FileIO.listDirectory(directory) : []
        for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
            guard let report = try? ReportQueue.read(path: "\(directory)/\(name)") else {
                unreadable += 1
                continue
            }
            states.append((report.state, report.createdAt))
        }
        return (QueueSummary(states: states), unreadable)
    }

    /// Seconds since the oldest pending report was queued, or 0 when none is pending.
    public func oldestAge(now: Double) -> Double {
        oldestPendingCreatedAt.map { max(0, now - $0) } ?? 0
    }
}

/// A record source that can describe its inputs and positions for `crashfwd status`.
public protocol StatusDescribing {
    var statusSources: [StatusReport.Source] { get }
}

extension FileTailer: StatusDescribing {
    public var statusSources: [StatusReport.Source] {
        let followed = positions
        return followed.keys.sorted().map { path in
            StatusReport.Source(kind: "file", name: path, position: "\(followed[path] ?? 0)")
        }
    }
}

extension Daemon {
    /// Builds the status from the daemon's components, statistics and queue index.
    func makeStatusReport(startedAt: Double) -> StatusReport {
        let counters = statistics.snapshot
        var described: [StatusReport.Source] = []
        for source in sources {
            if let describing = source as? StatusDescribing {
                described += describing.statusSources
            } else {
                described.append(
                    StatusReport.Source(kind: "\(type(of: source))", name: "", position: ""))
            }
        }
        return StatusReport(
            version: CrashfwdVersion.string, pid: getpid(), startedAt: startedAt,
            updatedAt: Clock.now(), configFile: config.file,
            stateDirectory: config.stateDirectory, destinations: config.destinations.keys.sorted(),
            sources: described, crashesDetected: counters.crashesDetected,
            ticketsCreated: counters.ticketsCreated, duplicatesSkipped: counters.duplicatesSkipped,
            deliveryFailures: counters.deliveryFailures, configReloads: counters.configReloads,
            configReloadFailures: counters.configReloadFailures, queue: QueueSummary(queue: queue),
            pausedDestinations: counters.pausedDestinations,
            pacedDestinations: counters.pacedDestinations, lastDelivery: counters.lastDelivery,
            lastError: counters.lastError, lastErrorAt: counters.lastErrorAt)
    }
}
