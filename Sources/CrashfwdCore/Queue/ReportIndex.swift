/// A report id as the queue index stores it.
///
/// `Detection.reportID` produces 32 lowercase hex digits, so `hex` packs up to 32 such
/// digits into two words, four bits a digit from the most significant end, with no heap
/// allocation. Any other id, which only tests and hand-made files produce, is kept as a
/// `String`.
enum ReportKey: Hashable, Sendable {
    case hex(UInt64, UInt64, digits: UInt8)
    case text(String)

    init(_ id: String) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var digits = 0
        for byte in id.utf8 {
            let value: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"):
                value = UInt64(byte - UInt8(ascii: "a") + 10)
            default: value = 16
            }
            guard value < 16, digits < 32 else {
                self = .text(id)
                return
            }
            let bits = value << (60 - 4 * UInt64(digits % 16))
            if digits < 16 {
                high |= bits
            } else {
                low |= bits
            }
            digits += 1
        }
        guard digits > 0 else {
            self = .text(id)
            return
        }
        self = .hex(high, low, digits: UInt8(digits))
    }

    /// The id as written in the report and its file name.
    var id: String {
        switch self {
        case .text(let id):
            return id
        case .hex(let high, let low, let digits):
            return String(unsafeUninitializedCapacity: Int(digits)) { buffer in
                for position in 0..<Int(digits) {
                    let word = position < 16 ? high : low
                    let value = UInt8((word >> (60 - 4 * UInt64(position % 16))) & 0xF)
                    buffer[position] =
                        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
                }
                return Int(digits)
            }
        }
    }

    /// Orders keys as their ids order as strings.
    ///
    /// Two hex keys compare by their packed digits, then by length. Padding a shorter id
    /// with zero digits keeps it below any longer id that starts with it, because `0` is
    /// the smallest hex digit, so this matches the string order without building strings.
    static func precedes(_ left: ReportKey, _ right: ReportKey) -> Bool {
        switch (left, right) {
        case (
            .hex(let leftHigh, let leftLow, let leftDigits),
            .hex(let rightHigh, let rightLow, let rightDigits)
        ):
            return (leftHigh, leftLow, leftDigits) < (rightHigh, rightLow, rightDigits)
        default:
            return left.id < right.id
        }
    }
}

/// The queue's in-memory index: one fixed-size record per report file, with no heap
/// allocation per report when ids are hex digests.
///
/// Records live in one array. An open-addressing hash table (linear probing, at most half
/// full) maps ids to record positions, and a removal moves the last record into the gap,
/// so both arrays stay dense. Each destination name is stored once in `destinations`, and
/// records refer to it by position. That table never shrinks, so it contains every
/// destination seen since the queue was opened, which the configuration keeps to a
/// handful. Not thread-safe: `ReportQueue` guards it with its lock.
struct ReportIndex: Sendable {
    struct Record: Sendable {
        var key: ReportKey
        var state: Report.State
        /// True when the report file records a create request whose outcome is not known
        /// (`Report.createRequestSentAt` is set).
        var createRequestSent: Bool
        /// Position in `destinations`.
        var destination: UInt32
        var nextAttemptAt: Double
        var createdAt: Double
        var updatedAt: Double
        /// Size of the report file in bytes.
        var bytes: Int

        var isPending: Bool { state == .queued || state == .created }
    }

    private(set) var records: [Record] = []
    /// Positions in `records`, or -1 for an empty bucket. Its size is a power of two.
    private var buckets: [Int32] = []
    private(set) var destinations: [String] = []

    var count: Int { records.count }

    /// Makes room for `capacity` records, so a scan of a known number of files allocates
    /// each array once instead of doubling it, which briefly keeps the old and new copy.
    mutating func reserveCapacity(_ capacity: Int) {
        records.reserveCapacity(capacity)
        if capacity * 2 > buckets.count {
            var size = 16
            while size < capacity * 2 { size *= 2 }
            rehash(capacity: size)
        }
    }

    func position(of key: ReportKey) -> Int? {
        guard !buckets.isEmpty else { return nil }
        var bucket = home(of: key)
        while true {
            let position = buckets[bucket]
            if position < 0 { return nil }
            if records[Int(position)].key == key { return Int(position) }
            bucket = (bucket + 1) & (buckets.count - 1)
        }
    }

    func entry(at position: Int) -> ReportQueue.Entry {
        let record = records[position]
        return ReportQueue.Entry(
            state: record.state, destination: destinations[Int(record.destination)],
            nextAttemptAt: record.nextAttemptAt, createdAt: record.createdAt,
            updatedAt: record.updatedAt, bytes: record.bytes)
    }

    /// Adds the report's record, or replaces it when the id is already indexed.
    mutating func store(_ report: Report, bytes: Int) {
        let key = ReportKey(report.id)
        let record = Record(
            key: key, state: report.state, createRequestSent: report.createRequestSentAt != nil,
            destination: destinationNumber(report.destination),
            nextAttemptAt: report.nextAttemptAt, createdAt: report.createdAt,
            updatedAt: report.updatedAt, bytes: bytes)
        if let position = position(of: key) {
            records[position] = record
            return
        }
        if (records.count + 1) * 2 > buckets.count {
            rehash(capacity: max(16, buckets.count * 2))
        }
        records.append(record)
        insertBucket(for: records.count - 1)
    }

    /// Removes the record of `key`. Returns false when there was none.
    @discardableResult
    mutating func remove(_ key: ReportKey) -> Bool {
        guard let position = position(of: key) else { return false }
        removeBucket(at: bucket(of: position))
        let last = records.count - 1
        if position != last {
            let lastBucket = bucket(of: last)
            records[position] = records[last]
            buckets[lastBucket] = Int32(position)
        }
        records.removeLast()
        return true
    }

    /// Returns the ids of up to `limit` pending reports due at `now`, oldest `createdAt`
    /// first, then by id. The scan keeps only the best `limit` candidates, so it never
    /// copies or sorts the whole index.
    func due(now: Double, limit: Int) -> [String] {
        guard limit > 0 else { return [] }
        var chosen: [Int] = []
        chosen.reserveCapacity(min(limit, records.count))
        for position in records.indices {
            let record = records[position]
            guard record.isPending, record.nextAttemptAt <= now else { continue }
            if chosen.count == limit {
                guard let worst = chosen.last, isOlder(position, than: worst) else { continue }
                chosen.removeLast()
            }
            chosen.insert(position, at: insertionPoint(of: position, in: chosen))
        }
        return chosen.map { records[$0].key.id }
    }

    /// Returns the earliest time a pending report may be attempted, skipping the reports
    /// in `skipped` and counting no report of a destination before its `notBefore` time.
    func earliestAttempt(skipping skipped: Set<ReportKey>, notBefore: [String: Double])
        -> Double?
    {
        let floors = destinations.map { notBefore[$0] ?? 0 }
        var earliest: Double?
        for record in records where record.isPending {
            if !skipped.isEmpty && skipped.contains(record.key) { continue }
            let due = max(record.nextAttemptAt, floors[Int(record.destination)])
            earliest = min(earliest ?? due, due)
        }
        return earliest
    }

    /// Returns the destinations that have at least one queued or created report.
    func pendingDestinations() -> Set<String> {
        var pending = [Bool](repeating: false, count: destinations.count)
        for record in records where record.isPending { pending[Int(record.destination)] = true }
        return Set(destinations.indices.filter { pending[$0] }.map { destinations[$0] })
    }

    /// Finds the first place in `chosen`, which is sorted oldest first, whose report is
    /// newer than the one at `position`.
    private func insertionPoint(of position: Int, in chosen: [Int]) -> Int {
        var low = 0
        var high = chosen.count
        while low < high {
            let middle = (low + high) / 2
            if isOlder(position, than: chosen[middle]) {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return low
    }

    private func isOlder(_ position: Int, than other: Int) -> Bool {
        let record = records[position]
        let otherRecord = records[other]
        if record.createdAt != otherRecord.createdAt {
            return record.createdAt < otherRecord.createdAt
        }
        return ReportKey.precedes(record.key, otherRecord.key)
    }

    private mutating func destinationNumber(_ destination: String) -> UInt32 {
        if let number = destinations.firstIndex(of: destination) { return UInt32(number) }
        destinations.append(destination)
        return UInt32(destinations.count - 1)
    }

    private func home(of key: ReportKey) -> Int {
        key.hashValue & (buckets.count - 1)
    }

    /// Finds the bucket that contains `position`, which must be indexed.
    private func bucket(of position: Int) -> Int {
        var bucket = home(of: records[position].key)
        while buckets[bucket] != Int32(position) {
            bucket = (bucket + 1) & (buckets.count - 1)
        }
        return bucket
    }

    private mutating func insertBucket(for position: Int) {
        var bucket = home(of: records[position].key)
        while buckets[bucket] >= 0 {
            bucket = (bucket + 1) & (buckets.count - 1)
        }
        buckets[bucket] = Int32(position)
    }

    /// Empties a bucket and moves later buckets of the same probe run back, so every
    /// lookup still reaches its record without tombstones.
    private mutating func removeBucket(at removed: Int) {
        let mask = buckets.count - 1
        var gap = removed
        var next = (removed + 1) & mask
        while buckets[next] >= 0 {
            let home = home(of: records[Int(buckets[next])].key)
            // The record at `next` may move into the gap unless its home lies cyclically
            // in (gap, next], where moving it would put it before its home.
            let homeAfterGap =
                gap <= next ? (gap < home && home <= next) : (gap < home || home <= next)
            if !homeAfterGap {
                buckets[gap] = buckets[next]
                gap = next
            }
            next = (next + 1) & mask
        }
        buckets[gap] = -1
    }

    private mutating func rehash(capacity: Int) {
        buckets = [Int32](repeating: -1, count: capacity)
        for position in records.indices { insertBucket(for: position) }
    }
}
