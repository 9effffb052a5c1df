/// Finds crash blocks in a stream of records.
///
/// A matcher's start pattern opens a block. Following lines of the same stream join it
/// while they match the matcher's continuation pattern, and a line matching its end
/// pattern closes it (see `MatcherConfig`). A stream has at most one open block, and a line
/// that does not continue it closes it. Records are assembled per stream (a file plus the
/// program and pid of the line's syslog prefix, or the journal stream), so interleaved
/// programs do not mix. File lines are matched without their syslog or kernel-log prefix
/// (`LinePrefix`), but blocks keep the whole lines.
///
/// Not thread-safe: one detector belongs to one thread.
public final class Detector {
    let matchers: [CompiledMatcher]
    /// Seconds a block waits for its following lines before it is reported as it is, for
    /// matchers without their own `flush_timeout`.
    let flushTimeout: Double
    var open: [String: OpenBlock] = [:] {
        didSet { pendingVersion &+= 1 }
    }
    var awaiting: [String: [AwaitingContext]] = [:] {
        didSet { pendingVersion &+= 1 }
    }
    /// Whether the last line handed to the detector started a block.
    public internal(set) var lastLineStartedBlock = false
    /// Changes whenever `open` or `awaiting` changes, so a caller can cache
    /// `pendingStreams`.
    private(set) var pendingVersion = 0
    var history: [String: [String]] = [:]
    let historyLength: Int
    /// Matchers that may start a block on any line, because they have no prefilter
    /// literal; the bulk scanner must hand them every line.
    let unfilteredMatchers: [Int]
    var limits = MatchLimitCounter()

    public init(matchers: [MatcherConfig], flushTimeout: Double = 2) throws {
        let compiled = try matchers.map {
            try CompiledMatcher($0, defaultFlushTimeout: flushTimeout)
        }
        self.matchers = compiled
        self.flushTimeout = flushTimeout
        self.historyLength = matchers.map(\.contextBefore).max() ?? 0
        self.unfilteredMatchers = compiled.indices.filter { index in
            compiled[index].start != nil && compiled[index].literals == nil
        }
    }

    /// Feeds one record and returns the blocks it completed. `now` is monotonic seconds.
    ///
    /// A journal entry whose `MESSAGE` has several lines is one record: when its first line
    /// starts a block, every line of it belongs to that block. For a file record the
    /// detector derives the stream from the line's prefix (`LinePrefix.streamKey`), so
    /// `record.stream` is used for journal records only.
    public func process(_ record: LogRecord, now: Double) -> [Detection] {
        var finished: [Detection] = []
        let isJournal = record.source == "journal"
        var lines = record.text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        var stream = record.stream
        for (index, line) in lines.enumerated() {
            var text = String(line)
            text.withUTF8 { buffer in
                let bytes = UnsafeRawBufferPointer(buffer)
                let prefix = isJournal ? LinePrefix(messageStart: 0) : LinePrefix.parse(bytes)
                if !isJournal {
                    stream = LinePrefix.streamKey(
                        source: record.source, line: bytes, prefix: prefix)
                }
                let context = LineContext(
                    line: bytes, prefix: prefix, source: record.source, stream: stream,
                    fields: record.fields, position: record.position,
                    timestamp: record.timestamp, now: now, lineOfRecord: index)
                finished += handle(context)
            }
        }
        finished += closeSingleRecordBlock(stream: stream, position: record.position)
        return finished
    }

    /// Feeds one file line given as bytes (without its newline) and returns the blocks it
    /// completed. The stream is derived from the line's prefix unless `stream` is given.
    /// `candidates` (bit `i` for matcher `i`) skips the literal check of matchers that a
    /// bulk prefilter already ruled out.
    public func process(
        lineBytes: UnsafeRawBufferPointer, source: String, stream: String? = nil,
        position: RecordPosition, timestamp: UInt64, now: Double, candidates: UInt64? = nil
    ) -> [Detection] {
        let prefix = LinePrefix.parse(lineBytes)
        let key = stream ?? LinePrefix.streamKey(source: source, line: lineBytes, prefix: prefix)
        var context = LineContext(
            line: lineBytes, prefix: prefix, source: source, stream: key, fields: [:],
            position: position, timestamp: timestamp, now: now, lineOfRecord: 0)
        context.candidates = candidates
        var finished = handle(context)
        finished += closeSingleRecordBlock(stream: key, position: position)
        return finished
    }

    /// Returns the matchers whose match or depth limit was hit for the first time since
    /// the last call, so that the caller logs each once.
    public func takeMatchLimitEvents() -> [MatchLimitEvent] {
        limits.takeNewEvents()
    }

    /// Closes the blocks whose flush timeout has passed and returns them.
    public func flushExpired(now: Double) -> [Detection] {
        var finished: [Detection] = []
        for (stream, block) in open where block.deadline <= now {
            open[stream] = nil
            finished += finish(block, stream: stream)
        }
        for (stream, list) in awaiting {
            finished += list.filter { $0.deadline <= now }.map(\.detection)
            let remaining = list.filter { $0.deadline > now }
            awaiting[stream] = remaining.isEmpty ? nil : remaining
        }
        return finished
    }

    /// Closes every open block, for shutdown and the end of a dry run.
    public func flushAll() -> [Detection] {
        var finished: [Detection] = []
        for (stream, block) in open.sorted(by: {
            $0.value.position.sequence < $1.value.position.sequence
        }) {
            finished += finish(block, stream: stream)
        }
        open.removeAll()
        finished += awaiting.values.flatMap { $0.map(\.detection) }
        awaiting.removeAll()
        return finished.sorted { $0.timestamp < $1.timestamp }
    }

    /// The earliest flush deadline of an open block, in monotonic seconds.
    public var nextDeadline: Double? {
        var earliest: Double?
        for block in open.values where block.deadline < (earliest ?? .infinity) {
            earliest = block.deadline
        }
        for list in awaiting.values {
            for waiting in list where waiting.deadline < (earliest ?? .infinity) {
                earliest = waiting.deadline
            }
        }
        return earliest
    }

    /// Whether some block is open or collecting context, so every line must be fed.
    public var hasPendingBlocks: Bool { !open.isEmpty || !awaiting.isEmpty }

    /// The stream keys with an open block or a block collecting context.
    var pendingStreams: [String] { Array(open.keys) + awaiting.keys.filter { open[$0] == nil } }

    /// Returns the first record of the oldest block still pending in a source. A source's
    /// saved position must not pass it, or a restart would lose the block.
    public func oldestPendingPosition(source: String) -> RecordPosition? {
        let blocks = open.values.filter { $0.detection.source == source }.map(\.position)
        let waiting = awaiting.values.flatMap { $0 }.filter { $0.detection.source == source }
        return (blocks + waiting.map(\.position)).min { $0.sequence < $1.sequence }
    }
}
