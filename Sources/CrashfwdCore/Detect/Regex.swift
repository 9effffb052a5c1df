import CPCRE2

/// A compiled PCRE2 pattern with its named groups, JIT-compiled when the platform allows.
///
/// Ownership: `code`, `matchData` and `matchContext` are created in `init` and freed in
/// `deinit`; nothing else frees them. The match data is reused by every call, so a `Regex`
/// must be used by one thread at a time (the detector owns its regexes and runs on one
/// thread). Captured text is copied into Swift strings before a call returns, so no
/// pointer into the subject outlives the call.
public final class Regex: @unchecked Sendable {
    public struct CompileError: Error, CustomStringConvertible, Sendable {
        public var pattern: String
        public var offset: Int
        public var message: String
        public var description: String {
            "invalid regular expression at offset \(offset): \(message)"
        }
    }

    /// The result of one match attempt.
    public enum Outcome: Equatable, Sendable {
        case noMatch
        /// The named groups that took part in the match.
        case match([String: String])
        /// The match or depth limit stopped the attempt, so the line is treated as not
        /// matching.
        case limitExceeded
    }

    /// Backtracking steps one match attempt may take (PCRE2's own default is 10,000,000).
    public static let defaultMatchLimit: UInt32 = 1_000_000
    /// Nested backtracking depth one match attempt may reach. The JIT ignores this limit
    /// and is bounded by its 32 KiB machine stack, which fails cleanly when exhausted.
    public static let defaultDepthLimit: UInt32 = 10_000

    public let pattern: String
    public let groupNames: [String]
    private let groups: [(name: String, number: Int)]
    private let code: OpaquePointer
    private let matchData: OpaquePointer
    private let matchContext: OpaquePointer

    public init(
        _ pattern: String, caseInsensitive: Bool = false,
        matchLimit: UInt32 = Regex.defaultMatchLimit, depthLimit: UInt32 = Regex.defaultDepthLimit
    ) throws {
        self.pattern = pattern
        let compiled = try Regex.compile(pattern, caseInsensitive: caseInsensitive)
        // A failed JIT compile is not an error: pcre2_match_8 then interprets the pattern.
        pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        guard let data = pcre2_match_data_create_from_pattern_8(compiled, nil),
            let context = pcre2_match_context_create_8(nil)
        else {
            pcre2_code_free_8(compiled)
            throw CompileError(pattern: pattern, offset: 0, message: "out of memory")
        }
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, depthLimit)
        self.code = compiled
        self.matchData = data
        self.matchContext = context
        self.groups = Regex.readGroupNames(compiled)
        var names: [String] = []
        for group in groups where !names.contains(group.name) { names.append(group.name) }
        self.groupNames = names
    }

    deinit {
        pcre2_match_context_free_8(matchContext)
        pcre2_match_data_free_8(matchData)
        pcre2_code_free_8(code)
    }

    private static func compile(_ pattern: String, caseInsensitive: Bool) throws -> OpaquePointer {
        var errorCode: Int32 = 0
        var errorOffset = 0
        // Logs are not guaranteed to be valid UTF-8: PCRE2_MATCH_INVALID_UTF makes invalid
        // sequences simply fail to match instead of failing the whole call.
        var options = UInt32(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DUPNAMES)
        if caseInsensitive { options |= UInt32(PCRE2_CASELESS) }
        let utf8 = Array(pattern.utf8)
        let compiled = utf8.withUnsafeBufferPointer { bytes in
            pcre2_compile_8(bytes.baseAddress, bytes.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            throw CompileError(
                pattern: pattern, offset: errorOffset, message: Regex.errorMessage(errorCode))
        }
        return compiled
    }

    /// Matches the pattern against `bytes` (one line, without its newline).
    public func match(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        let subject = bytes.bindMemory(to: UInt8.self)
        // PCRE2 rejects a null subject pointer even for length 0.
        let emptyLine: StaticString = ""
        let base = subject.baseAddress ?? emptyLine.utf8Start
        let result = pcre2_match_8(code, base, subject.count, 0, 0, matchData, matchContext)
        if result == PCRE2_ERROR_MATCHLIMIT || result == PCRE2_ERROR_DEPTHLIMIT
            || result == PCRE2_ERROR_HEAPLIMIT || result == PCRE2_ERROR_JIT_STACKLIMIT
        {
            return .limitExceeded
        }
        guard result > 0 else { return .noMatch }
        return .match(readCaptures(subject))
    }

    /// Reads the named groups of the last successful match. An unset group is left out. Of
    /// two groups sharing a name, the first one set wins.
    private func readCaptures(_ subject: UnsafeBufferPointer<UInt8>) -> [String: String] {
        guard !groups.isEmpty, let vector = pcre2_get_ovector_pointer_8(matchData) else {
            return [:]
        }
        var captures: [String: String] = [:]
        for (name, number) in groups where captures[name] == nil {
            let start = vector[2 * number]
            let end = vector[2 * number + 1]
            // An unset group has PCRE2_UNSET (all bits set, so -1 as an Int) in both slots.
            guard start >= 0, start <= end, end <= subject.count else { continue }
            let range = Int(start)..<Int(end)
            captures[name] = String(
                decoding: UnsafeBufferPointer(rebasing: subject[range]), as: UTF8.self)
        }
        return captures
    }

    /// Returns the named groups of a match, or nil when `text` does not match or a limit
    /// stopped the attempt.
    public func match(_ text: String) -> [String: String]? {
        var text = text
        let outcome = text.withUTF8 { buffer in match(UnsafeRawBufferPointer(buffer)) }
        if case .match(let captures) = outcome { return captures }
        return nil
    }

    public func matches(_ text: String) -> Bool { match(text) != nil }

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
        // The table is sorted by name; a pattern's first group of a name comes first.
        return result.sorted { $0.number < $1.number }
    }
}
