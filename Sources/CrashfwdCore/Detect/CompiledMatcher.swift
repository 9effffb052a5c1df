#if canImport(Glibc)
    import Glibc
#endif

/// A matcher with its patterns compiled and its prefilter literals prepared.
final class CompiledMatcher {
    let config: MatcherConfig
    let start: Regex?
    let continuation: Regex?
    let end: Regex?
    let chainHeader: Regex?
    let require: Regex?
    let files: [Glob]?
    let journalMatches: [(field: String, value: String)]
    /// Literals of which every start line contains one. Nil when the matcher has no start
    /// pattern or no usable literal, so every line must be tried.
    let literals: [[UInt8]]?
    let flushTimeout: Double
    private var readsSource: [String: Bool] = [:]
    private var lastSource = ""
    private var lastSourceResult = false

    init(_ config: MatcherConfig, defaultFlushTimeout: Double) throws {
        self.config = config
        start = try config.start.map { try Regex($0) }
        continuation = try config.continuation.map { try Regex($0) }
        end = try config.end.map { try Regex($0) }
        chainHeader = try config.chainHeader.map { try Regex($0) }
        require = try config.require.map { try Regex($0) }
        files = config.files.map { $0.map(Glob.init) }
        journalMatches = config.journalMatches.compactMap { match in
            guard let equals = match.firstIndex(of: "=") else { return nil }
            return (String(match[..<equals]), String(match[match.index(after: equals)...]))
        }
        flushTimeout = config.flushTimeout ?? defaultFlushTimeout
        literals = CompiledMatcher.prefilterLiterals(config)
    }

    private static func prefilterLiterals(_ config: MatcherConfig) -> [[UInt8]]? {
        guard let start = config.start else { return nil }
        let texts = config.literals ?? RequiredLiteral.extract(from: start).map { [$0] } ?? []
        let literals = texts.map { Array($0.utf8) }
        guard !literals.isEmpty, literals.allSatisfy({ $0.count >= 2 }) else { return nil }
        return literals
    }

    /// Returns whether the matcher reads records of `source` (`journal` or `file:PATH`).
    func reads(source: String) -> Bool {
        if source == lastSource { return lastSourceResult }
        let result = computeReads(source: source)
        lastSource = source
        lastSourceResult = result
        return result
    }

    private func computeReads(source: String) -> Bool {
        if let known = readsSource[source] { return known }
        let result: Bool
        if source == "journal" {
            result = config.journal
        } else if let files {
            let path = source.hasPrefix("file:") ? String(source.dropFirst(5)) : source
            result = files.contains { $0.matches(path) }
        } else {
            result = true
        }
        readsSource[source] = result
        return result
    }

    /// Returns whether a journal entry's fields satisfy every `journal_match`.
    func accepts(fields: [String: String]) -> Bool {
        journalMatches.allSatisfy { fields[$0.field] == $0.value }
    }

    /// Returns whether `line` contains one of the prefilter literals, or true when the
    /// matcher has none. Pass the whole line: the start pattern may match it.
    func mayStart(_ message: UnsafeRawBufferPointer) -> Bool {
        guard let literals else { return true }
        guard let base = message.baseAddress else { return false }
        for literal in literals {
            let found = literal.withUnsafeBytes { needle in
                memmem(base, message.count, needle.baseAddress, needle.count)
            }
            if found != nil { return true }
        }
        return false
    }
}
