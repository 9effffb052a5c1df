#if canImport(Glibc)
    import Glibc
#endif

/// Scans whole log files for crashes, for `crashfwd test-match` and other bulk reads.
///
/// The file is mapped into memory and searched for the matchers' prefilter literals with
/// one multi-literal pass (`LiteralScanner`). Only lines that contain a literal are split
/// out and handed to the detector, plus, while a block is open, the lines that mention
/// its stream's `program[pid]` tag. All other bytes are only counted for line numbers.
/// When some matcher has no literal, or wants `context_before` lines, every line is
/// handed over and the scan is much slower.
///
/// There is no clock in a file, so the scan measures time in lines. Each line advances
/// the detector's clock by `secondsPerLine`. A block whose stream has been silent for its
/// flush timeout (1,000 lines at the default 2 s) is closed.
public final class FileScanner {
    /// The detector's clock advance per line.
    public static let secondsPerLine = 0.002

    public struct Result: Sendable {
        public var detections: [Detection]
        /// The 1-based line number of each detection's first line, by its `firstRecordID`.
        public var lineNumbers: [String: Int]
        public var bytes: Int
        public var lines: Int
    }

    let detector: Detector
    let literals: LiteralScanner?
    /// For each literal of `literals`, bit `i` is set when matcher `i` has that literal.
    let literalMatchers: [UInt64]
    let feedsEveryLine: Bool

    public init(detector: Detector) {
        self.detector = detector
        var unique: [[UInt8]] = []
        var masks: [UInt64] = []
        for (index, matcher) in detector.matchers.enumerated() {
            let bit: UInt64 = index < 64 ? 1 << UInt64(index) : 0
            for literal in matcher.literals ?? [] {
                if let known = unique.firstIndex(of: literal) {
                    masks[known] |= bit
                } else {
                    unique.append(literal)
                    masks.append(bit)
                }
            }
        }
        literals = LiteralScanner(literals: unique)
        literalMatchers = masks
        feedsEveryLine =
            literals == nil || !detector.unfilteredMatchers.isEmpty || detector.historyLength > 0
    }

    /// Scans one file; `progress` is called with the bytes done and the file size about
    /// every 64 MiB.
    public func scan(path: String, progress: ((Int, Int) -> Void)? = nil) throws -> Result {
        let file = try MappedFile(path: path)
        defer { file.close() }
        var scan = ScanState(source: "file:\(path)", identity: file.identity)
        if let base = file.base {
            run(&scan, base: base, count: file.count, progress: progress)
        }
        scan.detections += detector.flushAll()
        return Result(
            detections: scan.detections, lineNumbers: scan.lineNumbers, bytes: file.count,
            lines: scan.lineNumber - 1)
    }

    /// Walks the file from literal hit to literal hit. While a block is pending, it also
    /// looks at every line, but hands the detector only lines of a pending stream.
    private func run(
        _ scan: inout ScanState, base: UnsafePointer<UInt8>, count: Int,
        progress: ((Int, Int) -> Void)?
    ) {
        let literalMatchers = self.literalMatchers
        var position = 0
        var nextProgress = 64 << 20
        var hits = literals.map { HitQueue(scanner: $0, base: base, count: count) }
        while position < count {
            let hit = hits?.peek()
            var lineStart = position
            if !feedsEveryLine && !scan.pendingTags.contains([]) {
                let target =
                    detector.hasPendingBlocks
                    ? nextPendingTarget(scan, base: base, count: count, from: position, hit: hit)
                    : (hit?.offset ?? count)
                lineStart = target
                while lineStart > position, base[lineStart - 1] != 0x0A { lineStart -= 1 }
                scan.lineNumber += LineCounter.count(base + position, lineStart - position)
                if lineStart >= count { break }
            }
            let newline = memchr(base + lineStart, 0x0A, count - lineStart)
            let lineEnd = newline.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? count
            var candidates: UInt64 = 0
            while let current = hits?.peek(), current.offset < lineEnd {
                candidates |= literalMatchers[current.literal]
                hits?.advance()
            }
            let line = UnsafeRawBufferPointer(start: base + lineStart, count: lineEnd - lineStart)
            if candidates != 0 || feedsEveryLine || scan.isPending(line) {
                feed(&scan, line, offset: lineStart, candidates: candidates)
            } else {
                flushExpired(&scan)
            }
            scan.lineNumber += 1
            position = lineEnd + 1
            if let progress, position >= nextProgress {
                progress(min(position, count), count)
                nextProgress += 64 << 20
            }
        }
    }

    /// Returns the offset of the next byte that needs the detector while blocks are
    /// pending: the next literal hit, the next mention of a pending stream's tag, or the
    /// line at which the earliest block times out, whichever comes first.
    private func nextPendingTarget(
        _ scan: ScanState, base: UnsafePointer<UInt8>, count: Int, from position: Int,
        hit: (offset: Int, literal: Int)?
    ) -> Int {
        var target = hit?.offset ?? count
        if let deadline = detector.nextDeadline {
            let now = Double(scan.lineNumber) * FileScanner.secondsPerLine
            let lines = max(0, Int(((deadline - now) / FileScanner.secondsPerLine).rounded(.up)))
            var offset = position
            for _ in 0..<lines {
                guard offset < target, let newline = memchr(base + offset, 0x0A, target - offset)
                else { break }
                offset = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
            }
            target = min(target, offset)
        }
        for tag in scan.pendingTags where target > position {
            let found = tag.withUnsafeBytes { bytes in
                memmem(base + position, target - position, bytes.baseAddress, bytes.count)
            }
            if let found { target = min(target, UnsafeRawPointer(found) - UnsafeRawPointer(base)) }
        }
        return target
    }

    private func flushExpired(_ scan: inout ScanState) {
        let now = Double(scan.lineNumber) * FileScanner.secondsPerLine
        guard let deadline = detector.nextDeadline, deadline <= now else { return }
        scan.detections += detector.flushExpired(now: now)
        scan.updatePendingTags(detector)
    }

    private func feed(
        _ scan: inout ScanState, _ line: UnsafeRawBufferPointer, offset: Int, candidates: UInt64
    ) {
        flushExpired(&scan)
        let now = Double(scan.lineNumber) * FileScanner.secondsPerLine
        var bytes = line
        if let last = line.last, last == 0x0D {
            bytes = UnsafeRawBufferPointer(rebasing: line.dropLast())
        }
        let id = "\(scan.identity):\(offset)"
        let position = RecordPosition(
            sequence: UInt64(scan.lineNumber), id: id, resume: "\(offset)")
        let found = detector.process(
            lineBytes: bytes, source: scan.source, position: position, timestamp: 0, now: now,
            candidates: feedsEveryLine ? nil : candidates)
        if detector.lastLineStartedBlock { scan.lineNumbers[id] = scan.lineNumber }
        scan.detections += found
        scan.updatePendingTags(detector)
    }
}

/// The literal hits of a file, found a chunk at a time ahead of the scan.
struct HitQueue {
    /// Bytes searched at once; the hits of one chunk are kept in memory.
    static let chunkSize = 8 << 20

    let scanner: LiteralScanner
    let base: UnsafePointer<UInt8>
    let count: Int
    private var hits: [(offset: Int, literal: Int)] = []
    private var index = 0
    private var searchedUpTo = 0

    init(scanner: LiteralScanner, base: UnsafePointer<UInt8>, count: Int) {
        self.scanner = scanner
        self.base = base
        self.count = count
    }

    /// Returns the next hit not yet consumed, or nil at the end of the file.
    mutating func peek() -> (offset: Int, literal: Int)? {
        while index >= hits.count {
            guard searchedUpTo < count else { return nil }
            hits.removeAll(keepingCapacity: true)
            index = 0
            let end = min(count, searchedUpTo + HitQueue.chunkSize)
            scanner.allMatches(in: base, from: searchedUpTo, to: end, limit: count, into: &hits)
            searchedUpTo = end
        }
        return hits[index]
    }

    mutating func advance() { index += 1 }
}

/// The progress of one file scan.
struct ScanState {
    var source: String
    /// `DEVICE:INODE` of the file, the stem of its record ids.
    var identity: String
    var lineNumber = 1
    var detections: [Detection] = []
    var lineNumbers: [String: Int] = [:]
    /// The `program[pid]` tags of the streams with a pending block; an empty tag stands
    /// for the lines without a program prefix.
    var pendingTags: [[UInt8]] = []
    var pendingVersion = -1

    mutating func updatePendingTags(_ detector: Detector) {
        guard detector.pendingVersion != pendingVersion else { return }
        pendingVersion = detector.pendingVersion
        pendingTags = detector.pendingStreams.map { stream in
            guard stream.utf8.count > source.utf8.count else { return [] }
            return Array(stream.utf8.dropFirst(source.utf8.count + 1))
        }
    }

    /// Returns whether a line belongs to a stream with a pending block.
    func isPending(_ line: UnsafeRawBufferPointer) -> Bool {
        guard !pendingTags.isEmpty else { return false }
        // Parsing the prefix costs more than searching the line for each tag, so a line
        // that contains no pending tag is ruled out first.
        if !pendingTags.contains([]) {
            let mentionsTag = pendingTags.contains { tag in
                tag.withUnsafeBytes {
                    memmem(line.baseAddress, line.count, $0.baseAddress, $0.count) != nil
                }
            }
            if !mentionsTag { return false }
        }
        let prefix = LinePrefix.parse(line)
        guard let program = prefix.program else { return pendingTags.contains([]) }
        let end = prefix.pid.map { $0.upperBound + 1 } ?? program.upperBound
        let tag = UnsafeRawBufferPointer(rebasing: line[program.lowerBound..<end])
        return pendingTags.contains { $0.elementsEqual(tag) }
    }
}
