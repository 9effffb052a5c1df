/// A configured crash matcher: which records it reads and which patterns make a block.
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
    public var contextBefore: Int
    public var contextAfter: Int
    /// Static fields added to the captures, such as `kind: segfault`.
    public var fields: [(key: String, value: String)]
    public var attachments: [AttachmentSpec] = []

    public init(
        name: String, destination: String, files: [String]? = nil, journal: Bool = false,
        journalMatches: [String] = [], start: String?, contextBefore: Int = 0,
        contextAfter: Int = 0, fields: [(key: String, value: String)] = []
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
            problems.add(node, "\(path).destination", "missing; name a key of 'destinations' or set detect.destination")
        }
        let start = reader.string("pattern")
        let journalMatches = reader.stringList("journal_match") ?? []
        if start == nil && journalMatches.isEmpty {
            problems.add(node, "\(path).pattern", "missing; a matcher needs a pattern, a journal_match, or both")
        }
        if let start, let patternNode = reader.value("pattern") {
            do {
                _ = try Regex(start)
                PatternCheck.warnIfPathological(start, node: patternNode, key: "\(path).pattern", problems: problems)
            } catch {
                problems.add(patternNode, "\(path).pattern", "\(error)")
            }
        }
        return MatcherConfig(
            name: name, destination: destination ?? "",
            files: reader.stringList("files"),
            journal: reader.boolean("journal", default: !journalMatches.isEmpty),
            journalMatches: journalMatches,
            start: start,
            contextBefore: reader.integer("context_before", default: 0, range: 0...1000),
            contextAfter: reader.integer("context_after", default: 0, range: 0...1000),
            fields: reader.stringMap("fields") ?? []
        ).withAttachments(AttachmentSpec.readList(&reader, path: path, problems: problems))
    }
}
