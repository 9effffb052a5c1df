#if canImport(Glibc)
    import Glibc
#endif

/// Finds every occurrence of any of a set of literals in a buffer, with the Wu-Manber
/// multi-pattern algorithm (block size 2, blocks hashed to 12 bits so the shift table
/// stays in the L1 cache).
///
/// All literals are compared on `window` bytes, the length of the shortest literal. Of a
/// longer literal, the window with the least common bytes in log text is used, so that
/// ordinary words shift the window far. A table indexed by the hash of a 2-byte block
/// stores how far the window may move when that block ends it. Text that shares few byte
/// pairs with the literals is therefore skipped up to `window - 1` bytes at a time. A
/// block that ends some literal's window triggers a full comparison of those literals.
///
/// The tables are allocated in `init` and freed in `deinit`. The scanner is read-only
/// after `init`, so it may be shared between threads.
final class LiteralScanner: @unchecked Sendable {
    let literals: [[UInt8]]
    let window: Int
    /// The length of the longest literal.
    let longest: Int
    /// For each literal, the offset of its window within it.
    private let anchors: [Int]
    private let shifts: UnsafeMutablePointer<UInt8>
    /// For each block, the first literal whose window ends with it, or -1.
    private let chainHeads: UnsafeMutablePointer<Int32>
    /// For each literal, the next literal whose window ends with the same block, or -1.
    private let chainNext: [Int32]

    private static let tableSize = 1 << 12

    /// Hashes the 2-byte block ending at `offset` (whose first byte is the low byte of a
    /// little-endian load) into the table.
    @inline(__always)
    private static func hash(_ block: UInt16) -> Int {
        Int((block ^ (block >> 4)) & 0xFFF)
    }

    /// Returns nil when a literal is shorter than 2 bytes, because a 2-byte block is the
    /// unit of the shift table.
    init?(literals: [[UInt8]]) {
        guard !literals.isEmpty, let shortest = literals.map(\.count).min(), shortest >= 2 else {
            return nil
        }
        self.literals = literals
        self.window = min(shortest, 255)
        self.longest = literals.map(\.count).max() ?? shortest
        shifts = .allocate(capacity: LiteralScanner.tableSize)
        shifts.initialize(repeating: UInt8(window - 1), count: LiteralScanner.tableSize)
        chainHeads = .allocate(capacity: LiteralScanner.tableSize)
        chainHeads.initialize(repeating: -1, count: LiteralScanner.tableSize)
        var next = [Int32](repeating: -1, count: literals.count)
        let anchors = literals.map {
            LiteralScanner.rarestWindow(in: $0, length: min(shortest, 255))
        }
        self.anchors = anchors
        for (index, whole) in literals.enumerated() {
            let literal = Array(whole[anchors[index]..<(anchors[index] + window)])
            for offset in 0..<(window - 1) {
                let block = LiteralScanner.hash(
                    UInt16(literal[offset]) | UInt16(literal[offset + 1]) << 8)
                let shift = UInt8(window - 2 - offset)
                if shift < shifts[block] { shifts[block] = shift }
            }
            let last = LiteralScanner.hash(
                UInt16(literal[window - 2]) | UInt16(literal[window - 1]) << 8)
            next[index] = chainHeads[last]
            chainHeads[last] = Int32(index)
        }
        chainNext = next
    }

    deinit {
        shifts.deallocate()
        chainHeads.deallocate()
    }

    /// Appends every occurrence of any literal that starts in `start..<end` and ends by
    /// `limit` to `hits`, in order of offset. The two halves of the range are scanned in
    /// one loop, so that the dependent loads of one half overlap those of the other.
    func allMatches(
        in base: UnsafePointer<UInt8>, from start: Int, to end: Int, limit: Int,
        into hits: inout [(offset: Int, literal: Int)]
    ) {
        let middle = start + (end - start) / 2
        var secondHits: [(offset: Int, literal: Int)] = []
        var first = ScanCursor(
            position: start &+ window &- 1, regionStart: start, regionEnd: middle)
        var second = ScanCursor(
            position: middle &+ window &- 1, regionStart: middle, regionEnd: end)
        // A window may end past its region's end while its literal starts inside.
        let firstStop = min(limit, middle &+ longest)
        let secondStop = min(limit, end &+ longest)
        while first.position < firstStop && second.position < secondStop {
            step(&first, base, limit: limit, hits: &hits)
            step(&second, base, limit: limit, hits: &secondHits)
        }
        while first.position < firstStop { step(&first, base, limit: limit, hits: &hits) }
        while second.position < secondStop { step(&second, base, limit: limit, hits: &secondHits) }
        hits += secondHits
    }

    /// One Wu-Manber step of a cursor: shift, or compare the literals at the window and
    /// move on by one byte.
    @inline(__always)
    private func step(
        _ cursor: inout ScanCursor, _ base: UnsafePointer<UInt8>, limit: Int,
        hits: inout [(offset: Int, literal: Int)]
    ) {
        let raw = UnsafeRawPointer(base)
        let pair = raw.loadUnaligned(fromByteOffset: cursor.position &- 1, as: UInt16.self)
        let block = LiteralScanner.hash(pair)
        let shift = Int(shifts[block])
        if shift > 0 {
            cursor.position &+= shift
            return
        }
        let windowStart = cursor.position &- window &+ 1
        var index = Int(chainHeads[block])
        while index >= 0 {
            let offset = windowStart - anchors[index]
            if offset >= cursor.regionStart && offset < cursor.regionEnd
                && matches(base, at: offset, literal: index, limit: limit)
            {
                hits.append((offset, index))
            }
            index = Int(chainNext[index])
        }
        cursor.position &+= 1
    }

    private func matches(
        _ base: UnsafePointer<UInt8>, at offset: Int, literal index: Int, limit: Int
    )
        -> Bool
    {
        let literal = literals[index]
        guard offset + literal.count <= limit, base[offset] == literal[0],
            base[offset + 1] == literal[1]
        else { return false }
        return literal.withUnsafeBytes { bytes in
            guard let needle = bytes.baseAddress else { return false }
            return memcmp(base + offset, needle, literal.count) == 0
        }
    }

    /// Returns the offset of the `length`-byte window of `literal` whose byte pairs are
    /// least common in log text, by a rough frequency class per byte.
    static func rarestWindow(in literal: [UInt8], length: Int) -> Int {
        func commonness(_ byte: UInt8) -> Int {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"),
                UInt8(ascii: "o"), UInt8(ascii: "i"), UInt8(ascii: "n"), UInt8(ascii: "s"),
                UInt8(ascii: "r"):
                return 4
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return 3
            case UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "-"):
                return 2
            default:
                return 1
            }
        }
        var best = 0
        var bestScore = Int.max
        for start in 0...(literal.count - length) {
            var score = 0
            for offset in start..<(start + length - 1) {
                score += commonness(literal[offset]) * commonness(literal[offset + 1])
            }
            if score < bestScore {
                best = start
                bestScore = score
            }
        }
        return best
    }
}

/// The position of one of the two interleaved scans of `LiteralScanner.allMatches`.
private struct ScanCursor {
    var position: Int
    let regionStart: Int
    let regionEnd: Int
}
