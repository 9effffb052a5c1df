/// Finds crash blocks in a stream of records.
///
/// A matcher's start pattern opens a block; the block then collects `context_after` more
/// records of the same stream, or closes when its flush timeout passes. Records are
/// assembled per `LogRecord.stream`, so interleaved programs do not mix.
public final class Detector {
    struct CompiledMatcher {
        var config: MatcherConfig
        var start: Regex?
        var files: [Glob]?
    }

    struct OpenBlock {
        var matcher: Int
        var detection: Detection
        var remainingAfter: Int
        var deadline: Double
        var position: RecordPosition
    }

    let matchers: [CompiledMatcher]
    /// Seconds a block waits for its following lines before it is reported as it is.
    let flushTimeout: Double
    var history: [String: [String]] = [:]
    var open: [String: [OpenBlock]] = [:]

    public init(matchers: [MatcherConfig], flushTimeout: Double = 2) throws {
        self.matchers = try matchers.map { config in
            CompiledMatcher(
                config: config, start: try config.start.map { try Regex($0) },
                files: config.files.map { $0.map(Glob.init) })
        }
        self.flushTimeout = flushTimeout
    }

    /// Feeds one record and returns the blocks it completed. `now` is monotonic seconds.
    public func process(_ record: LogRecord, now: Double) -> [Detection] {
        var finished: [Detection] = []
        if var blocks = open[record.stream] {
            for index in blocks.indices {
                blocks[index].detection.contextAfter.append(record.text)
                blocks[index].remainingAfter -= 1
            }
            finished += blocks.filter { $0.remainingAfter <= 0 }.map(\.detection)
            blocks.removeAll { $0.remainingAfter <= 0 }
            open[record.stream] = blocks.isEmpty ? nil : blocks
        }

        for (index, matcher) in matchers.enumerated() where applies(matcher, to: record) {
            guard let captures = captures(of: matcher, in: record) else { continue }
            let detection = makeDetection(matcher, record: record, captures: captures)
            if matcher.config.contextAfter == 0 {
                finished.append(detection)
            } else {
                open[record.stream, default: []].append(
                    OpenBlock(
                        matcher: index, detection: detection,
                        remainingAfter: matcher.config.contextAfter, deadline: now + flushTimeout,
                        position: record.position))
            }
        }
        remember(record)
        return finished
    }

    func applies(_ matcher: CompiledMatcher, to record: LogRecord) -> Bool {
        if record.source == "journal" { return matcher.config.journal }
        guard let globs = matcher.files else { return true }
        let path = String(record.source.dropFirst("file:".count))
        return globs.contains { $0.matches(path) }
    }

    func captures(of matcher: CompiledMatcher, in record: LogRecord) -> [String: String]? {
        for match in matcher.config.journalMatches {
            guard let equals = match.firstIndex(of: "=") else { return nil }
            let field = String(match[..<equals])
            if record.fields[field] != String(match[match.index(after: equals)...]) { return nil }
        }
        guard let start = matcher.start else { return [:] }
        return start.match(record.text)
    }

    func makeDetection(_ matcher: CompiledMatcher, record: LogRecord, captures: [String: String])
        -> Detection
    {
        var captures = captures
        for field in matcher.config.fields where captures[field.key] == nil {
            captures[field.key] = field.value
        }
        var detection = Detection(
            matcher: matcher.config.name, destination: matcher.config.destination,
            source: record.source, captures: captures, lines: [record.text],
            contextBefore: Array((history[record.stream] ?? []).suffix(matcher.config.contextBefore)),
            journalFields: record.fields, firstRecordID: record.position.id,
            timestamp: record.timestamp)
        detection.fingerprint = Fingerprint.compute(
            kind: captures["kind"] ?? matcher.config.name, program: captures["program"] ?? "",
            frames: [record.text])
        return detection
    }

    func remember(_ record: LogRecord) {
        let keep = matchers.map(\.config.contextBefore).max() ?? 0
        guard keep > 0 else { return }
        var lines = history[record.stream] ?? []
        lines.append(record.text)
        if lines.count > keep { lines.removeFirst(lines.count - keep) }
        history[record.stream] = lines
    }

    /// Closes the blocks whose flush timeout has passed and returns them.
    public func flushExpired(now: Double) -> [Detection] {
        var finished: [Detection] = []
        for (stream, blocks) in open {
            finished += blocks.filter { $0.deadline <= now }.map(\.detection)
            let remaining = blocks.filter { $0.deadline > now }
            open[stream] = remaining.isEmpty ? nil : remaining
        }
        return finished
    }

    /// Closes every open block, for shutdown and the end of a dry run.
    public func flushAll() -> [Detection] {
        let finished = open.values.flatMap { $0.map(\.detection) }
        open.removeAll()
        return finished
    }

    /// The earliest flush deadline of an open block, in monotonic seconds.
    public var nextDeadline: Double? {
        open.values.flatMap { $0.map(\.deadline) }.min()
    }

    /// The first record of the oldest block still open in a source. A source's saved
    /// position must not pass it, or a restart would lose the block.
    public func oldestPendingPosition(source: String) -> RecordPosition? {
        open.values.flatMap { $0 }.filter { $0.detection.source == source }
            .map(\.position).min { $0.sequence < $1.sequence }
    }
}
