#if canImport(Glibc)
    import Glibc
#endif

/// Finds the first occurrence of any of a set of literals in a buffer, with the Wu-Manber
/// multi-pattern algorithm (block size 2, blocks hashed to 12 bits so the shift table
/// stays in the L1 cache).
///
/// All literals are compared on `window` bytes, the length of the shortest literal. Of a
/// longer literal, the window with the least common bytes in log text is used, so that
/// ordinary words shift the window far. A table indexed by every 2-byte block stores how far the
/// window may move when that block ends it, so text that shares few byte pairs with the
/// literals is skipped `window - 1` bytes at a time. A block that ends some literal's
/// window triggers a full comparison of those literals.
///
/// The tables are allocated in `init` and freed in `deinit`; the scanner is read-only after
/// `init`, so it may be shared between threads.
final class LiteralScanner: @unchecked Sendable {
    let literals: [[UInt8]]
    let window: Int
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

    /// Returns the offset and literal index of the first occurrence of any literal that
    /// starts at or after `start` and ends at or before `end`, or nil.
    func firstMatch(in base: UnsafePointer<UInt8>, from start: Int, to end: Int)
        -> (offset: Int, literal: Int)?
    {
        // Wrapping arithmetic: offsets stay far below Int.max, and overflow checks would
        // sit on the loop's critical path.
        var position = start &+ window &- 1
        let raw = UnsafeRawPointer(base)
        while position < end {
            // Little-endian load: byte `position - 1` is the low byte, as in the table.
            let pair = raw.loadUnaligned(fromByteOffset: position &- 1, as: UInt16.self)
            let block = LiteralScanner.hash(pair)
            let shift = Int(shifts[block])
            if shift > 0 {
                position &+= shift
                continue
            }
            let windowStart = position &- window &+ 1
            if let found = verify(
                base, window: windowStart, from: start, end: end, head: chainHeads[block])
            {
                return found
            }
            position &+= 1
        }
        return nil
    }

    /// Compares every literal in the chain starting at `head` with the text around the
    /// window at `windowStart`, and returns the first that is equal and lies in
    /// `start..<end`.
    private func verify(
        _ base: UnsafePointer<UInt8>, window windowStart: Int, from start: Int, end: Int,
        head: Int32
    ) -> (offset: Int, literal: Int)? {
        var index = Int(head)
        while index >= 0 {
            let literal = literals[index]
            let offset = windowStart - anchors[index]
            // Most false candidates differ in the first two bytes, so compare those inline
            // before calling memcmp.
            if offset >= start, offset + literal.count <= end, base[offset] == literal[0],
                base[offset + 1] == literal[1]
            {
                let equal = literal.withUnsafeBytes { bytes in
                    guard let needle = bytes.baseAddress else { return false }
                    return memcmp(base + offset, needle, literal.count) == 0
                }
                if equal { return (offset, index) }
            }
            index = Int(chainNext[index])
        }
        return nil
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
