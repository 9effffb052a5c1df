import FoundationEssentials
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The durable on-disk queue: one JSON file per report in `STATE/reports/`.
///
/// Every write goes through `DurableFile`, so a report file is always either its previous
/// or its new version, whatever happens to the process or the power. An in-memory index of
/// ids, states and due times is rebuilt from the files at start. A file that cannot be
/// decoded is moved to `STATE/quarantine/` so the rest of the queue keeps working.
/// Safe to use from several threads.
///
/// The index (`ReportIndex`) keeps one 56-byte record and two to four 4-byte hash buckets per
/// report, with no other allocation when ids are hex digests. The queries below scan it
/// under the lock instead of copying it.
public final class ReportQueue: Sendable {
    public struct Entry: Sendable, Equatable {
        public var state: Report.State
        public var destination: String
        public var nextAttemptAt: Double
        public var createdAt: Double
        public var updatedAt: Double
        /// Size of the report file in bytes.
        public var bytes: Int
    }

    public let directory: String
    public let reportsDirectory: String
    public let quarantineDirectory: String
    private let index = Mutex(ReportIndex())
    /// Files moved to quarantine while loading, with the reason.
    public let quarantined: [(file: String, reason: String)]
    /// Files that could not be read, with the reason, when the queue was opened without
    /// repair (they stay in place until a daemon starts and quarantines them).
    public let unreadable: [(file: String, reason: String)]

    /// Opens the queue and indexes every report file.
    ///
    /// With `repair` (the default, for the process that owns the `StateLock`), leftover
    /// temporary files are deleted and unreadable report files are moved to quarantine.
    /// Without it (`crashfwd queue` beside a running daemon), nothing is changed on disk and
    /// unreadable files are only skipped.
    public init(stateDirectory: String, repair: Bool = true) throws {
        directory = stateDirectory
        reportsDirectory = "\(stateDirectory)/reports"
        quarantineDirectory = "\(stateDirectory)/quarantine"
        if repair {
            try FileIO.makeDirectory(reportsDirectory)
            try FileIO.makeDirectory(quarantineDirectory)
            try FileIO.makeDirectory("\(stateDirectory)/requests")
        }
        let (scanned, temporary, failed) = ReportQueue.scan(reportsDirectory)
        // Files are removed and moved only after the scan, because readdir(3) does not
        // specify whether it returns entries that change while a scan runs.
        if repair {
            for name in temporary { try? FileIO.remove("\(reportsDirectory)/\(name)") }
        }
        var moved: [(file: String, reason: String)] = []
        var skipped: [(file: String, reason: String)] = []
        for (name, reason) in failed.sorted(by: { $0.file < $1.file }) {
            guard repair else {
                skipped.append((file: name, reason: reason))
                continue
            }
            try ReportQueue.quarantine(name, from: reportsDirectory, to: quarantineDirectory)
            moved.append((file: name, reason: reason))
        }
        index.withLock { $0 = scanned }
        quarantined = moved
        unreadable = skipped
    }

    /// Decodes every report file in `directory` into an index. Returns the index, the
    /// temporary files left by interrupted writes, and the report files that could not be
    /// read, with the reason.
    static func scan(_ directory: String) -> (
        index: ReportIndex, temporary: [String], failed: [(file: String, reason: String)]
    ) {
        var scanned = ReportIndex()
        var files = 0
        try? FileIO.forEachName(in: directory) { name in
            if !name.hasPrefix(".") && name.hasSuffix(".json") { files += 1 }
        }
        scanned.reserveCapacity(files)
        var temporary: [String] = []
        var failed: [(file: String, reason: String)] = []
        try? FileIO.forEachName(in: directory) { name in
            if name.hasPrefix(".") {
                // A temporary file left by an interrupted write; its target is intact.
                temporary.append(name)
                return
            }
            guard name.hasSuffix(".json") else { return }
            do {
                // The whole report is decoded, not only the indexed fields, so a file that
                // `load` could not read goes to quarantine now and not at its first attempt.
                let (report, bytes) = try ReportQueue.readWithSize(
                    path: "\(directory)/\(name)")
                guard name == "\(report.id).json" else {
                    throw QueueFileError(
                        description: "the report id \(report.id) does not match the file name")
                }
                scanned.store(report, bytes: bytes)
            } catch {
                failed.append((file: name, reason: "\(error)"))
            }
        }
        return (scanned, temporary, failed)
    }

    static func read(path: String) throws -> Report {
        try readWithSize(path: path).0
    }

    /// Reads and decodes a report file; returns the report and the file size.
    static func readWithSize(path: String) throws -> (Report, Int) {
        guard let bytes = try FileIO.readFile(path) else {
            throw SystemError("open", path: path, code: ENOENT)
        }
        do {
            return (try JSONCoding.decode(Report.self, from: bytes), bytes.count)
        } catch let error as DecodingError {
            throw QueueFileError(description: "not a valid report file: \(describe(error))")
        }
    }

    /// Says what is wrong with a report file in plain words, without the decoder's debug
    /// text.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
                .joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "the file is not valid JSON"
        case .dataCorrupted(let context):
            return "field '\(path(context))' has an invalid value"
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return
                "field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context))' has the wrong type"
        @unknown default:
            return "\(error)"
        }
    }

    static func quarantine(_ name: String, from source: String, to target: String) throws {
        if rename("\(source)/\(name)", "\(target)/\(name)") != 0 {
            throw SystemError("rename", path: "\(source)/\(name)")
        }
        try DurableFile.syncDirectory(source)
        try DurableFile.syncDirectory(target)
    }

    func path(_ id: String) -> String { "\(reportsDirectory)/\(id).json" }

    public func contains(_ id: String) -> Bool {
        let key = ReportKey(id)
        return index.withLock { $0.position(of: key) != nil }
    }

    /// Stores a new report durably. Returns false, writing nothing, when a report with the
    /// same id is already queued or was already delivered: the same crash read again.
    @discardableResult
    public func enqueue(_ report: Report) throws -> Bool {
        if contains(report.id) { return false }
        try save(report)
        return true
    }

    /// Durably writes a report's new state; returns only after it is on disk.
    public func save(_ report: Report) throws {
        try index.withLock { index in try write(report, into: &index) }
    }

    /// Durably writes a report's new state unless the report was removed meanwhile (by an
    /// eviction or `crashfwd queue drop`). Returns false, writing nothing, in that case.
    @discardableResult
    public func update(_ report: Report) throws -> Bool {
        let key = ReportKey(report.id)
        return try index.withLock { index in
            guard index.position(of: key) != nil else { return false }
            try write(report, into: &index)
            return true
        }
    }

    /// Writes the file while the index lock is held, so a concurrent `remove` cannot be
    /// undone by a late write of the same report.
    private func write(_ report: Report, into index: inout ReportIndex) throws {
        guard isSafeID(report.id) else {
            throw SystemError("save report", path: report.id, code: EINVAL)
        }
        let bytes = try JSONCoding.encode(report, pretty: true)
        try DurableFile.write(bytes, to: path(report.id), mode: 0o600)
        index.store(report, bytes: bytes.count)
    }

    public func load(_ id: String) throws -> Report {
        guard isSafeID(id) else { throw SystemError("load report", path: id, code: EINVAL) }
        return try ReportQueue.read(path: path(id))
    }

    public func remove(_ id: String) throws {
        guard isSafeID(id) else { throw SystemError("remove report", path: id, code: EINVAL) }
        let key = ReportKey(id)
        try index.withLock { index in
            try DurableFile.remove(path(id))
            index.remove(key)
        }
    }

    /// Returns the ids of pending reports whose next attempt is due, oldest first (by
    /// `createdAt`, then by id), at most `limit` of them.
    public func due(now: Double, limit: Int = 100) -> [String] {
        index.withLock { $0.due(now: now, limit: limit) }
    }

    /// The earliest next attempt among pending reports, in Unix seconds.
    public var nextAttemptAt: Double? {
        index.withLock { $0.earliestAttempt(skipping: [], notBefore: [:]) }
    }

    /// Returns the earliest time a pending report may be attempted, in Unix seconds, or nil
    /// when none is left. Reports in `skipped` are left out, and no report of a destination
    /// counts before its time in `notBefore`.
    public func earliestAttempt(skipping skipped: Set<String>, notBefore: [String: Double])
        -> Double?
    {
        let keys = Set(skipped.map(ReportKey.init))
        return index.withLock { $0.earliestAttempt(skipping: keys, notBefore: notBefore) }
    }

    /// Returns the destinations that have at least one queued or created report.
    public func pendingDestinations() -> Set<String> {
        index.withLock { $0.pendingDestinations() }
    }

    public func entry(_ id: String) -> Entry? {
        let key = ReportKey(id)
        return index.withLock { index in index.position(of: key).map(index.entry(at:)) }
    }

    /// Returns every report's entry, by id. This copies the whole index, so the daemon uses
    /// the narrower queries below, and this is for `crashfwd queue` and tests.
    public func entries() -> [String: Entry] {
        index.withLock { index in
            var entries: [String: Entry] = [:]
            entries.reserveCapacity(index.count)
            for position in 0..<index.count {
                entries[index.records[position].key.id] = index.entry(at: position)
            }
            return entries
        }
    }

    /// Returns the reports whose entry satisfies `isIncluded`, in no particular order. Only
    /// the matches are copied out of the index. `isIncluded` runs under the queue's lock, so
    /// it must not call the queue.
    public func entries(where isIncluded: (Entry) -> Bool) -> [(id: String, entry: Entry)] {
        index.withLock { index in
            var matches: [(id: String, entry: Entry)] = []
            for position in 0..<index.count {
                let entry = index.entry(at: position)
                if isIncluded(entry) { matches.append((index.records[position].key.id, entry)) }
            }
            return matches
        }
    }

    /// Returns the ids of queued reports whose file records a create request with no known
    /// outcome.
    public func interruptedCreateIDs() -> [String] {
        index.withLock { index in
            index.records.filter { $0.state == .queued && $0.createRequestSent }.map(\.key.id)
        }
    }

    public func count(in state: Report.State) -> Int {
        index.withLock { index in index.records.reduce(0) { $0 + ($1.state == state ? 1 : 0) } }
    }

    /// Returns the number of reports and the total size of their files in bytes.
    public func totals() -> (count: Int, bytes: Int) {
        index.withLock { index in (index.count, index.records.reduce(0) { $0 + $1.bytes }) }
    }

    /// Counts the reports in each state and finds the `createdAt` of the oldest pending one.
    public func stateCounts() -> (counts: [Report.State: Int], oldestPendingCreatedAt: Double?) {
        index.withLock { index in
            var counts: [Report.State: Int] = [:]
            var oldest: Double?
            for record in index.records {
                counts[record.state, default: 0] += 1
                if record.isPending { oldest = min(oldest ?? record.createdAt, record.createdAt) }
            }
            return (counts, oldest)
        }
    }

    /// Deletes done reports last updated before `cutoff` (Unix seconds). Their ids are then
    /// forgotten, so only crashes older than the retention can be queued twice.
    public func prune(state: Report.State, updatedBefore cutoff: Double) throws -> Int {
        let old = entries { $0.state == state && $0.updatedAt < cutoff }.map(\.id)
        for id in old { try remove(id) }
        return old.count
    }

    /// Report ids are hex digests; anything else must not become part of a path.
    func isSafeID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64
            && id.allSatisfy { $0.isASCII && ($0.isHexDigit || $0 == "-") }
    }
}

/// A report file whose content is valid JSON but not a usable report.
struct QueueFileError: Error, CustomStringConvertible {
    var description: String
}
