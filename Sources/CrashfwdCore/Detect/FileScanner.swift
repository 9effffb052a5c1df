#if canImport(Glibc)
    import Glibc
#endif

/// Scans whole log files for crashes, for `crashfwd test-match` and other bulk reads.
///
/// The file is mapped into memory and searched for the matchers' prefilter literals with
/// one multi-literal pass (`LiteralScanner`). Only a line that contains a literal, and the
/// lines that follow while a block is open, are split out and handed to the detector; all
/// other bytes are only counted for line numbers. When some matcher has no literal, or
/// wants `context_before` lines, every line is handed over and the scan is much slower.
///
/// There is no clock in a file, so the scan measures time in lines: each line advances
/// the detector's clock by `secondsPerLine`, and a block whose stream has been silent for
/// its flush timeout (1,000 lines at the default 2 s) is closed.
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
    let feedsEveryLine: Bool

    public init(detector: Detector) {
        self.detector = detector
        var unique: [[UInt8]] = []
        for matcher in detector.matchers {
            for literal in matcher.literals ?? [] where !unique.contains(literal) {
                unique.append(literal)
            }
        }
        literals = LiteralScanner(literals: unique)
        feedsEveryLine =
            literals == nil || !detector.unfilteredMatchers.isEmpty
            || detector.historyLength > 0
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

    private func run(
        _ scan: inout ScanState, base: UnsafePointer<UInt8>, count: Int,
        progress: ((Int, Int) -> Void)?
    ) {
        var position = 0
        var nextProgress = 64 << 20
        while position < count {
            var lineStart = position
            if !(feedsEveryLine || detector.hasPendingBlocks) {
                guard let literals,
                    let hit = literals.firstMatch(in: base, from: position, to: count)
                else {
                    scan.lineNumber += LineCounter.count(base + position, count - position)
                    break
                }
                lineStart = hit
                while lineStart > position, base[lineStart - 1] != 0x0A { lineStart -= 1 }
                scan.lineNumber += LineCounter.count(base + position, lineStart - position)
            }
            let remaining = count - lineStart
            let newline = memchr(base + lineStart, 0x0A, remaining)
            let lineEnd = newline.map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? count
            feed(
                &scan, UnsafeRawBufferPointer(start: base + lineStart, count: lineEnd - lineStart),
                offset: lineStart)
            scan.lineNumber += 1
            position = lineEnd + 1
            if let progress, position >= nextProgress {
                progress(min(position, count), count)
                nextProgress += 64 << 20
            }
        }
    }

    private func feed(_ scan: inout ScanState, _ line: UnsafeRawBufferPointer, offset: Int) {
        let now = Double(scan.lineNumber) * FileScanner.secondsPerLine
        if let deadline = detector.nextDeadline, deadline <= now {
            scan.detections += detector.flushExpired(now: now)
        }
        var bytes = line
        if let last = line.last, last == 0x0D {
            bytes = UnsafeRawBufferPointer(rebasing: line.dropLast())
        }
        let id = "\(scan.identity):\(offset)"
        let position = RecordPosition(
            sequence: UInt64(scan.lineNumber), id: id, resume: "\(offset)")
        let found = detector.process(
            lineBytes: bytes, source: scan.source, position: position,
            timestamp: 0, now: now)
        if detector.hasPendingBlocks || !found.isEmpty { scan.lineNumbers[id] = scan.lineNumber }
        scan.detections += found
    }
}

/// The progress of one file scan.
struct ScanState {
    var source: String
    /// `DEVICE:INODE` of the file, the stem of its record ids.
    var identity: String
    var lineNumber = 1
    var detections: [Detection] = []
    var lineNumbers: [String: Int] = [:]
}
