#if canImport(Glibc)
    import Glibc
#endif

/// Finds the first occurrence of any of a set of literals in a buffer, with the Wu-Manber
/// multi-pattern algorithm (block size 2).
///
/// All literals are compared on their first `window` bytes, where `window` is the length
/// of the shortest literal. A table indexed by every 2-byte block stores how far the
/// window may move when that block ends it, so text that shares few byte pairs with the
/// literals is skipped `window - 1` bytes at a time. A block that ends some literal's
/// window triggers a full comparison of those literals.
///
/// The tables are allocated in `init` and freed in `deinit`; the scanner is read-only after
/// `init`, so it may be shared between threads.
final class LiteralScanner: @unchecked Sendable {
    let literals: [[UInt8]]
    let window: Int
    private let shifts: UnsafeMutablePointer<UInt8>
    /// For each block, the first literal whose window ends with it, or -1.
    private let chainHeads: UnsafeMutablePointer<Int32>
    /// For each literal, the next literal whose window ends with the same block, or -1.
    private let chainNext: [Int32]

    private static let tableSize = 1 << 16

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
        for (index, literal) in literals.enumerated() {
            for offset in 0..<(window - 1) {
                let block = Int(literal[offset]) | Int(literal[offset + 1]) << 8
                let shift = UInt8(window - 2 - offset)
                if shift < shifts[block] { shifts[block] = shift }
            }
            let last = Int(literal[window - 2]) | Int(literal[window - 1]) << 8
            next[index] = chainHeads[last]
            chainHeads[last] = Int32(index)
        }
        chainNext = next
    }

    deinit {
        shifts.deallocate()
        chainHeads.deallocate()
    }

    /// Returns the offset of the first occurrence of any literal that starts at or after
    /// `start` and ends at or before `end`, or nil.
    func firstMatch(in base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var position = start + window - 1
        let raw = UnsafeRawPointer(base)
        while position < end {
            // Little-endian load: byte `position - 1` is the low byte, as in the table.
            let block = Int(raw.loadUnaligned(fromByteOffset: position - 1, as: UInt16.self))
            let shift = Int(shifts[block])
            if shift > 0 {
                position += shift
                continue
            }
            let candidate = position - window + 1
            if verify(base, at: candidate, end: end, head: chainHeads[block]) { return candidate }
            position += 1
        }
        return nil
    }

    /// Compares every literal in the chain starting at `head` with the text at `offset`.
    private func verify(_ base: UnsafePointer<UInt8>, at offset: Int, end: Int, head: Int32)
        -> Bool
    {
        var index = Int(head)
        while index >= 0 {
            let literal = literals[index]
            if offset + literal.count <= end {
                let equal = literal.withUnsafeBytes { bytes in
                    guard let needle = bytes.baseAddress else { return false }
                    return memcmp(base + offset, needle, literal.count) == 0
                }
                if equal { return true }
            }
            index = Int(chainNext[index])
        }
        return false
    }
}
