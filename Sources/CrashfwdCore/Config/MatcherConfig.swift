/// A configured crash matcher: which records it reads and which patterns make a block.
///
/// A line matching `start` opens a block in its stream. Each following line of the stream
/// is added while it matches `continuation`; a line matching `end` is added and closes
/// the block. With an `end` but no `continuation`, every line continues the block until
/// the end line. With neither, the block is the start line alone. Blank lines inside a
/// block are kept only when a later line continues it.
public struct MatcherConfig: Sendable {
    public var name: String
    public var destination: String
    /// Glob patterns of the files this matcher reads; nil means every watched file.
    public var files: [String]?
    /// Whether the matcher also reads journal entries.
    public var journal: Bool
    /// Journal field matches (`FIELD=value`) an entry must satisfy; empty means any entry.
    public var journalMatches: [String]
    /// The pattern of a block's first line, or nil for a matcher that selects on journal
    /// fields alone.
    public var start: String?
    /// The pattern of a line that extends an open block.
    public var continuation: String?
    /// The pattern of a line that closes an open block; the line belongs to the block.
    public var end: String?
    /// The pattern of a line that may follow the `end` line to chain another report to the
    /// block, such as Python's `During handling of the above exception, another exception
    /// occurred:`. After the end line the block takes only blank lines, one chain header
    /// and then a `start` line. Any other line closes the block at its end line. Only
    /// presets set it, and a block without `end` ignores it.
    public var chainHeader: String?
    /// A pattern some line of the block must match, or the block is dropped. It keeps
    /// start lines that also occur in ordinary output (such as `panic: `) from being
    /// reported without the stack that makes them a crash.
    public var require: String?
    public var contextBefore: Int
    public var contextAfter: Int
    /// Static fields added to the captures, such as `kind: segfault`.
    public var fields: [(key: String, value: String)]
    /// The maximum number of lines of a block; a longer block is cut and marked truncated.
    public var maxLines: Int
    /// The maximum number of bytes of a block's lines, newlines included.
    public var maxBytes: Int
    /// Seconds after a block's last line before it is reported as it is; nil uses the
    /// detector's default.
    public var flushTimeout: Double?
    /// Captures taken from journal fields, in order; the first field present sets a name.
    public var journalCaptures: [(key: String, value: String)]
    /// Whether the program and pid of a syslog or kernel-log prefix fill in `program` and
    /// `pid` when no pattern captured them. A `kernel` program is never used.
    public var programFromPrefix: Bool
    /// Whether a later line's capture replaces an earlier one of the same name (for
    /// tracebacks that print the innermost frame and final exception last).
    public var lastCaptureWins: Bool
    /// Substrings of which a start line contains at least one; nil derives one from
    /// `start`. Lines with none of them never reach the regular expression engine.
    public var literals: [String]?
    /// Capture names the matcher may set beyond its patterns' named groups and fields, so
    /// templates can use them.
    public var declaredCaptures: [String]
    /// Whether patterns are only tried on the message after the line's prefix. Otherwise a
    /// pattern that fails on the message is tried on the whole line, for patterns written
    /// for whole syslog lines. Presets set this, because they are written for messages.
    public var matchesMessageOnly = false
    public var attachments: [AttachmentSpec] = []

    public init(
        name: String, destination: String, files: [String]? = nil, journal: Bool = false,
        journalMatches: [String] = [], start: String?, contextBefore: Int = 0,
        contextAfter: Int = 0, fields: [(key: String, value: String)] = [],
        continuation: String? = nil, end: String? = nil, chainHeader: String? = nil,
        require: String? = nil,
        maxLines: Int = 200, maxBytes: Int = 64 * 1024, flushTimeout: Double? = nil,
        journalCaptures: [(key: String, value: String)] = [], programFromPrefix: Bool = false,
        lastCaptureWins: Bool = false, literals: [String]? = nil, declaredCaptures: [String] = []
    ) {
        self.name = name
        self.destination = destination
        self.files = files
        self.journal = journal
        self.journalMatches = journalMatches
        self.start = start
        self.contextBefore = contextBefore
        self.contextAfter = contextAfter
        self.fields = fields
        self.continuation = continuation
        self.end = end
        self.chainHeader = chainHeader
        self.require = require
        self.maxLines = maxLines
        self.maxBytes = maxBytes
        self.flushTimeout = flushTimeout
        self.journalCaptures = journalCaptures
        self.programFromPrefix = programFromPrefix
        self.lastCaptureWins = lastCaptureWins
        self.literals = literals
        self.declaredCaptures = declaredCaptures
    }

    /// The patterns of the matcher with their config keys, for checks and capture names.
    public var patterns: [(key: String, pattern: String)] {
        var result: [(key: String, pattern: String)] = []
        if let start { result.append((key: "pattern", pattern: start)) }
        if let continuation { result.append((key: "continuation", pattern: continuation)) }
        if let end { result.append((key: "end", pattern: end)) }
        if let chainHeader { result.append((key: "chain_header", pattern: chainHeader)) }
        if let require { result.append((key: "require", pattern: require)) }
        return result
    }
}

extension MatcherConfig {
    /// Reads one entry of `detect.matchers`.
    static func read(
        _ node: YAMLNode, path: String, defaultDestination: String?, problems: ProblemList
    ) -> MatcherConfig? {
        guard var reader = MappingReader(node, path: path, problems: problems) else { return nil }
        defer { reader.reportUnknownKeys() }
        let name = reader.string("name", required: true) ?? ""
        let destination = reader.string("destination") ?? defaultDestination
        if destination == nil {
            problems.add(
                node, "\(path).destination",
                "missing; name a key of 'destinations' or set detect.destination")
        }
        let start = reader.string("pattern")
        let journalMatches = reader.stringList("journal_match") ?? []
        if start == nil && journalMatches.isEmpty {
            problems.add(
                node, "\(path).pattern",
                "missing; a matcher needs a pattern, a journal_match, or both")
        }
        for match in journalMatches where !match.contains("=") {
            problems.add(
                reader.value("journal_match"), "\(path).journal_match",
                "invalid match '\(match)': use FIELD=value")
        }

        var matcher = MatcherConfig(
            name: name, destination: destination ?? "",
            files: reader.stringList("files"),
            journal: reader.boolean("journal", default: !journalMatches.isEmpty),
            journalMatches: journalMatches,
            start: start,
            contextBefore: reader.integer("context_before", default: 0, range: 0...1000),
            contextAfter: reader.integer("context_after", default: 0, range: 0...1000),
            fields: reader.stringMap("fields") ?? [])

        matcher.continuation = reader.string("continuation")
        matcher.end = reader.string("end")
        matcher.require = reader.string("require")
        matcher.maxLines = reader.integer("max_lines", default: 200, range: 1...100_000)
        matcher.maxBytes = reader.integer("max_bytes", default: 64 * 1024, range: 64...(16 << 20))
        if reader.value("flush_timeout") != nil {
            matcher.flushTimeout = reader.seconds("flush_timeout", default: 2, minimum: 0.01)
        }
        matcher.journalCaptures = reader.stringMap("journal_captures") ?? []
        matcher.programFromPrefix = reader.boolean("program_from_prefix", default: false)
        matcher.lastCaptureWins = reader.boolean("last_capture_wins", default: false)
        matcher.literals = reader.stringList("literals")
        matcher.attachments = AttachmentSpec.readList(&reader, path: path, problems: problems)
        checkPatterns(matcher, reader: &reader, path: path, problems: problems)
        return matcher
    }

    private static func checkPatterns(
        _ matcher: MatcherConfig, reader: inout MappingReader, path: String, problems: ProblemList
    ) {
        for (key, pattern) in matcher.patterns {
            do {
                _ = try Regex(pattern)
                PatternCheck.warnIfPathological(
                    pattern, node: reader.value(key), key: "\(path).\(key)", problems: problems)
            } catch {
                problems.add(reader.value(key), "\(path).\(key)", "\(error)")
            }
        }
        for literal in matcher.literals ?? [] where literal.isEmpty {
            problems.add(
                reader.value("literals"), "\(path).literals", "invalid empty literal; remove it")
        }
    }
}
