/// The `watch.journal` section: which journal to follow and which entries to read.
public struct JournalConfig: Sendable {
    /// The start position used when no cursor is saved yet.
    public enum StartPosition: String, Sendable {
        /// Only entries written after the daemon starts.
        case tail
        /// Every entry of the running boot, so crashes before the daemon started are seen.
        case boot
    }

    /// `MESSAGE_ID` of systemd-coredump's "Process … dumped core" entries.
    public static let coredumpMessageID = "fc2e22bc6ee647b6b90729ab34a250b1"

    /// The filter used when `matches` is not set: coredump entries, kernel messages (oopses,
    /// segfault lines, the OOM killer) and everything at priority `err` or more severe.
    ///
    /// Output a service writes to stdout arrives at priority 6 (`info`), so a stack trace
    /// printed that way is not covered. Add a group such as `["_TRANSPORT=stdout"]`, or set
    /// `matches: []` to read every entry.
    public static let defaultMatches: [[String]] = [
        ["MESSAGE_ID=\(coredumpMessageID)"],
        ["_TRANSPORT=kernel"],
        ["PRIORITY=0", "PRIORITY=1", "PRIORITY=2", "PRIORITY=3"],
    ]

    public var enabled: Bool
    public var location: JournalLocation
    /// Groups of `FIELD=value` matches. Within a group, matches on the same field are ORed
    /// and different fields are ANDed, as sd_journal_add_match does. The groups are ORed.
    /// An empty list reads every entry.
    public var matches: [[String]]
    public var startAt: StartPosition
    /// The maximum length of a field value in bytes. Longer values are truncated.
    public var maxFieldBytes: Int

    public init(
        enabled: Bool = true, location: JournalLocation = .system,
        matches: [[String]] = JournalConfig.defaultMatches, startAt: StartPosition = .tail,
        maxFieldBytes: Int = 64 * 1024
    ) {
        self.enabled = enabled
        self.location = location
        self.matches = matches
        self.startAt = startAt
        self.maxFieldBytes = maxFieldBytes
    }
}

extension JournalConfig {
    /// Reads `watch.journal`; problems go to the reader's list with their line and column.
    static func read(_ reader: inout MappingReader) -> JournalConfig {
        let problems = reader.problems
        var config = JournalConfig()
        config.enabled = reader.boolean("enabled", default: true)
        config.location = readLocation(&reader)
        if let groups = reader.list("matches") {
            config.matches = groups.enumerated().compactMap { index, node in
                readGroup(node, path: reader.keyPath("matches[\(index)]"), problems: problems)
            }
        }
        let startName = reader.string("start_at") ?? "tail"
        if let start = StartPosition(rawValue: startName) {
            config.startAt = start
        } else {
            problems.add(
                reader.value("start_at"), reader.keyPath("start_at"),
                "invalid value '\(startName)': use tail or boot")
        }
        config.maxFieldBytes = reader.integer(
            "max_field_bytes", default: 64 * 1024, range: 256...(64 * 1024 * 1024))
        return config
    }

    static func readLocation(_ reader: inout MappingReader) -> JournalLocation {
        let directory = reader.string("directory")
        let files = reader.stringList("files")
        let paths =
            (directory.map { [("directory", $0)] } ?? []) + (files ?? []).map { ("files", $0) }
        for (key, path) in paths where !path.hasPrefix("/") {
            reader.problems.add(
                reader.value(key), reader.keyPath(key),
                "'\(path)' is relative; use an absolute path")
        }
        if let directory {
            if files != nil {
                reader.problems.add(
                    reader.value("files"), reader.keyPath("files"),
                    "set either directory or files, not both")
            }
            return .directory(directory)
        }
        if let files {
            if files.isEmpty {
                reader.problems.add(
                    reader.value("files"), reader.keyPath("files"), "list at least one journal file"
                )
            }
            return .files(files)
        }
        return .system
    }

    /// Reads one group: a list of `FIELD=value` texts, or a single text.
    static func readGroup(_ node: YAMLNode, path: String, problems: ProblemList) -> [String]? {
        let items: [YAMLNode]
        switch node.value {
        case .scalar: items = [node]
        case .sequence(let list): items = list
        case .mapping:
            problems.add(node, path, "expected a list of FIELD=value texts, found a mapping")
            return nil
        }
        var group: [String] = []
        for (index, item) in items.enumerated() {
            guard case .scalar(let text, _) = item.value, isValidMatch(text) else {
                problems.add(
                    item, "\(path)[\(index)]",
                    "invalid match: expected FIELD=value with an upper-case field name such as _TRANSPORT=kernel"
                )
                continue
            }
            group.append(text)
        }
        if items.isEmpty { problems.add(node, path, "empty group; list at least one FIELD=value") }
        return group.isEmpty ? nil : group
    }

    /// Checks the rule journald applies to field names: upper-case letters, digits and
    /// underscores, not starting with a digit, at most 64 characters.
    static func isValidMatch(_ text: String) -> Bool {
        guard let equals = text.firstIndex(of: "=") else { return false }
        let name = text.utf8[..<equals]
        guard let first = name.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
            name.count <= 64
        else { return false }
        return name.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }
}
