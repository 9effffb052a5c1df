import CPCRE2

/// A compiled PCRE2 pattern with its named groups.
///
/// The compiled code is freed with `pcre2_code_free_8` in `deinit`. Each `Regex` owns one
/// match-data block, so a `Regex` must be used by one thread at a time.
public final class Regex: @unchecked Sendable {
    public struct CompileError: Error, CustomStringConvertible, Sendable {
        public var pattern: String
        public var offset: Int
        public var message: String
        public var description: String {
            "invalid regular expression at offset \(offset): \(message)"
        }
    }

    public let pattern: String
    public let groupNames: [String]
    private let code: OpaquePointer
    private let matchData: OpaquePointer

    public init(_ pattern: String, caseInsensitive: Bool = false) throws {
        self.pattern = pattern
        var errorCode: Int32 = 0
        var errorOffset = 0
        var options = UInt32(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
        if caseInsensitive { options |= UInt32(PCRE2_CASELESS) }
        let compiled = pattern.withCString { text in
            text.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) { bytes in
                pcre2_compile_8(bytes, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw CompileError(
                pattern: pattern, offset: errorOffset, message: Regex.errorMessage(errorCode))
        }
        pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        guard let data = pcre2_match_data_create_from_pattern_8(compiled, nil) else {
            pcre2_code_free_8(compiled)
            throw CompileError(pattern: pattern, offset: 0, message: "out of memory")
        }
        self.code = compiled
        self.matchData = data
        self.groupNames = Regex.readGroupNames(compiled).map(\.name)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_code_free_8(code)
    }

    /// Returns the named groups that took part in a match, or nil when `text` does not match.
    public func match(_ text: String) -> [String: String]? {
        var text = text
        return text.withUTF8 { buffer in match(buffer) }
    }

    public func match(_ buffer: UnsafeBufferPointer<UInt8>) -> [String: String]? {
        let base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let result = pcre2_match_8(code, base, buffer.count, 0, 0, matchData, nil)
        guard result > 0 else { return nil }
        let vector = pcre2_get_ovector_pointer_8(matchData)!
        var captures: [String: String] = [:]
        for (name, number) in Regex.readGroupNames(code) {
            let start = Int(bitPattern: UInt(vector[2 * number]))
            let end = Int(bitPattern: UInt(vector[2 * number + 1]))
            // An unset group has PCRE2_UNSET (~0, so -1 here) in both slots.
            if start < 0 || end < start { continue }
            captures[name] = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
        return captures
    }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { buffer in
            let base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return pcre2_match_8(code, base, buffer.count, 0, 0, matchData, nil) > 0
        }
    }

    static func errorMessage(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }

    /// Reads the name table: each entry is a 2-byte group number followed by the
    /// NUL-terminated name, padded to the table's entry size.
    static func readGroupNames(_ code: OpaquePointer) -> [(name: String, number: Int)] {
        var count: UInt32 = 0
        var entrySize: UInt32 = 0
        var table: UnsafePointer<UInt8>?
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMECOUNT), &count)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(code, UInt32(PCRE2_INFO_NAMETABLE), &table)
        guard let table, count > 0 else { return [] }
        var result: [(name: String, number: Int)] = []
        for index in 0..<Int(count) {
            let entry = table + index * Int(entrySize)
            let number = Int(entry[0]) << 8 | Int(entry[1])
            let name = String(cString: entry + 2)
            result.append((name: name, number: number))
        }
        return result
    }
}
