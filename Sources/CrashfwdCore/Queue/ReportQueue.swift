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
    private let index = Mutex<[String: Entry]>([:])
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
        var entries: [String: Entry] = [:]
        var moved: [(file: String, reason: String)] = []
        var skipped: [(file: String, reason: String)] = []
        for name in (try? FileIO.listDirectory(reportsDirectory)) ?? [] {
            if name.hasPrefix(".") {
                // A temporary file left by an interrupted write; its target is intact.
                if repair { try? FileIO.remove("\(reportsDirectory)/\(name)") }
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            do {
                let (report, bytes) = try ReportQueue.readWithSize(
                    path: "\(reportsDirectory)/\(name)")
                guard name == "\(report.id).json" else {
                    throw QueueFileError(
                        description: "the report id \(report.id) does not match the file name")
                }
                entries[report.id] = ReportQueue.entry(for: report, bytes: bytes)
            } catch {
                guard repair else {
                    skipped.append((file: name, reason: "\(error)"))
                    continue
                }
                try ReportQueue.quarantine(name, from: reportsDirectory, to: quarantineDirectory)
                moved.append((file: name, reason: "\(error)"))
            }
        }
        index.withLock { $0 = entries }
        quarantined = moved
        unreadable = skipped
    }

    static func entry(for report: Report, bytes: Int) -> Entry {
        Entry(
            state: report.state, destination: report.destination,
            nextAttemptAt: report.nextAttemptAt, createdAt: report.createdAt,
            updatedAt: report.updatedAt, bytes: bytes)
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

    public func contains(_ id: String) -> Bool { index.withLock { $0[id] != nil } }

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
        try index.withLock { entries in try write(report, into: &entries) }
    }

    /// Durably writes a report's new state unless the report was removed meanwhile (by an
    /// eviction or `crashfwd queue drop`). Returns false, writing nothing, in that case.
    @discardableResult
    public func update(_ report: Report) throws -> Bool {
        try index.withLock { entries in
            guard entries[report.id] != nil else { return false }
            try write(report, into: &entries)
            return true
        }
    }

    /// Writes the file while the index lock is held, so a concurrent `remove` cannot be
    /// undone by a late write of the same report.
    private func write(_ report: Report, into entries: inout [String: Entry]) throws {
        guard isSafeID(report.id) else {
            throw SystemError("save report", path: report.id, code: EINVAL)
        }
        let bytes = try JSONCoding.encode(report, pretty: true)
        try DurableFile.write(bytes, to: path(report.id), mode: 0o600)
        entries[report.id] = ReportQueue.entry(for: report, bytes: bytes.count)
    }

    public func load(_ id: String) throws -> Report {
        guard isSafeID(id) else { throw SystemError("load report", path: id, code: EINVAL) }
        return try ReportQueue.read(path: path(id))
    }

    public func remove(_ id: String) throws {
        guard isSafeID(id) else { throw SystemError("remove report", path: id, code: EINVAL) }
        try index.withLock { entries in
            try DurableFile.remove(path(id))
            entries.removeValue(forKey: id)
        }
    }

    /// Ids of pending reports whose next attempt is due, oldest first.
    public func due(now: Double, limit: Int = 100) -> [String] {
        index.withLock { entries in
            entries.filter { $0.value.state == .queued || $0.value.state == .created }
                .filter { $0.value.nextAttemptAt <= now }
                .sorted { ($0.value.createdAt, $0.key) < ($1.value.createdAt, $1.key) }
                .prefix(limit).map(\.key)
        }
    }

    /// The earliest next attempt among pending reports, in Unix seconds.
    public var nextAttemptAt: Double? {
        index.withLock { entries in
            entries.values.filter { $0.state == .queued || $0.state == .created }
                .map(\.nextAttemptAt).min()
        }
    }

    public func entries() -> [String: Entry] { index.withLock { $0 } }

    public func count(in state: Report.State) -> Int {
        index.withLock { $0.values.filter { $0.state == state }.count }
    }

    /// Deletes done reports last updated before `cutoff` (Unix seconds). Their ids are then
    /// forgotten, so only crashes older than the retention can be queued twice.
    public func prune(state: Report.State, updatedBefore cutoff: Double) throws -> Int {
        let old = index.withLock { entries in
            entries.filter { $0.value.state == state && $0.value.updatedAt < cutoff }.map(\.key)
        }
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
