/// The `attach:` section: where attachment files may come from and how they are sent.
public struct AttachConfig: Sendable {
    /// Centercode's limit for one uploaded file: 2 GiB.
    public static let maximumAllowedFileBytes: UInt64 = 2 << 30

    /// Absolute directories that attachment files must resolve into, symlinks included.
    public var allowedDirectories: [String] = []
    /// Files larger than this are skipped, and the ticket gets a note instead.
    public var maximumFileBytes: UInt64 = AttachConfig.maximumAllowedFileBytes
    /// Upload rate cap in bytes per second; 0 means no cap.
    public var maximumUploadSpeed: UInt64 = 0
    /// Seconds before a journal crash whose entries of the same unit go into its excerpt.
    public var journalExcerptWindow: Double = 300

    public init() {}
}

/// One entry of a matcher's `attachments:` list: what to attach and to which file element.
public struct AttachmentSpec: Sendable, Equatable {
    public enum Content: Sendable, Equatable {
        /// The core file named by the journal field or capture `COREDUMP_FILENAME`.
        case core
        /// The block with its context lines, gzip-compressed.
        case excerpt
        /// The `newest` files (by modification time) that match a glob.
        case files(glob: String, newest: Int)
    }

    public var element: String
    public var content: Content

    public init(element: String, content: Content) {
        self.element = element
        self.content = content
    }
}

extension MatcherConfig {
    /// Returns a copy with the given attachments.
    func withAttachments(_ attachments: [AttachmentSpec]) -> MatcherConfig {
        var copy = self
        copy.attachments = attachments
        return copy
    }
}

extension AttachConfig {
    /// Reads the `attach:` section and checks the matchers' attachments against it.
    static func read(
        _ reader: inout MappingReader, matchers: [MatcherConfig], problems: ProblemList
    )
        -> AttachConfig
    {
        var config = AttachConfig()
        if var section = reader.mapping("attach") {
            config.allowedDirectories = readDirectories(&section, problems: problems)
            config.maximumFileBytes = readSize(
                &section, "max_file_bytes", default: config.maximumFileBytes,
                range: 1...AttachConfig.maximumAllowedFileBytes, problems: problems)
            config.maximumUploadSpeed = readSize(
                &section, "max_upload_speed", default: 0, range: 0...UInt64(Int64.max),
                problems: problems)
            config.journalExcerptWindow = section.seconds(
                "journal_excerpt_window", default: config.journalExcerptWindow)
            section.reportUnknownKeys()
        }
        config.check(matchers, node: reader.value("attach") ?? reader.node, problems: problems)
        return config
    }

    static func readDirectories(_ section: inout MappingReader, problems: ProblemList) -> [String] {
        var directories: [String] = []
        for directory in section.stringList("allowed_directories") ?? [] {
            guard directory.hasPrefix("/"), !PathRules.hasDotDot(directory) else {
                problems.add(
                    section.value("allowed_directories"), section.keyPath("allowed_directories"),
                    "'\(directory)' is not an absolute path without '..'; use a path such as /var/lib/systemd/coredump"
                )
                continue
            }
            directories.append(PathRules.trimmingTrailingSlashes(directory))
        }
        return directories
    }

    static func readSize(
        _ section: inout MappingReader, _ key: String, default fallback: UInt64,
        range: ClosedRange<UInt64>, problems: ProblemList
    ) -> UInt64 {
        guard let text = section.string(key) else { return fallback }
        guard let bytes = parseByteSize(text), range.contains(bytes) else {
            problems.add(
                section.value(key), section.keyPath(key),
                "invalid size '\(text)': expected bytes from \(range.lowerBound) to \(range.upperBound), optionally with a unit K, M or G (powers of 1024)"
            )
            return fallback
        }
        return bytes
    }

    /// Reports attachments that can never be sent because of the allowed directories.
    func check(_ matchers: [MatcherConfig], node: YAMLNode, problems: ProblemList) {
        for matcher in matchers {
            for spec in matcher.attachments {
                switch spec.content {
                case .excerpt:
                    continue
                case .core where allowedDirectories.isEmpty:
                    problems.add(
                        node, "attach.allowed_directories",
                        "missing; matcher '\(matcher.name)' attaches a core file, so list the directory cores are written to, such as /var/lib/systemd/coredump"
                    )
                case .files(let glob, _) where !PathRules.isInside(glob, allowedDirectories):
                    problems.add(
                        node, "attach.allowed_directories",
                        "matcher '\(matcher.name)' attaches '\(glob)', which is outside every allowed directory; add its directory to attach.allowed_directories"
                    )
                default:
                    continue
                }
            }
        }
    }
}

extension AttachmentSpec {
    /// Reads a matcher's `attachments:` list.
    static func readList(_ reader: inout MappingReader, path: String, problems: ProblemList)
        -> [AttachmentSpec]
    {
        var specs: [AttachmentSpec] = []
        for (index, node) in (reader.list("attachments") ?? []).enumerated() {
            if let spec = read(node, path: "\(path).attachments[\(index)]", problems: problems) {
                specs.append(spec)
            }
        }
        return specs
    }

    static func read(_ node: YAMLNode, path: String, problems: ProblemList) -> AttachmentSpec? {
        guard var reader = MappingReader(node, path: path, problems: problems) else { return nil }
        defer { reader.reportUnknownKeys() }
        let element = reader.string("element", required: true) ?? ""
        let isURLSafe = element.allSatisfy {
            $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0))
        }
        if !isURLSafe {
            problems.add(
                reader.value("element"), "\(path).element",
                "'\(element)' contains characters not allowed in a URL path; use the file element's key (letters, digits, '-', '_' and '.')"
            )
        }
        guard let content = readContent(&reader, node: node, path: path, problems: problems),
            !element.isEmpty
        else { return nil }
        return AttachmentSpec(element: element, content: content)
    }

    /// Reads which of `core`, `excerpt` or `files` the entry sets; exactly one is allowed.
    static func readContent(
        _ reader: inout MappingReader, node: YAMLNode, path: String, problems: ProblemList
    )
        -> Content?
    {
        let core = reader.boolean("core", default: false)
        let excerpt = reader.boolean("excerpt", default: false)
        let glob = reader.string("files")
        let newest = reader.integer("newest", default: 1, range: 1...100)
        if let glob, !glob.hasPrefix("/") || PathRules.hasDotDot(glob) {
            problems.add(
                reader.value("files"), "\(path).files",
                "'\(glob)' is not an absolute path without '..'; use a glob such as /var/log/myapp/*.log"
            )
        }
        guard [core, excerpt, glob != nil].filter({ $0 }).count == 1 else {
            problems.add(
                node, path, "set exactly one of 'core: true', 'excerpt: true' or 'files: GLOB'")
            return nil
        }
        if let glob { return .files(glob: glob, newest: newest) }
        return core ? .core : .excerpt
    }
}

/// Parses a byte count such as `1048576`, `512K`, `100M` or `2G` (units are powers of 1024).
func parseByteSize(_ text: String) -> UInt64? {
    let trimmed = text.trimmed().uppercased()
    let units: [(String, UInt64)] = [
        ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20),
        ("G", 1 << 30),
    ]
    for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
        guard let number = UInt64(String(trimmed.dropLast(suffix.count)).trimmed()) else {
            return nil
        }
        let (product, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }
    return UInt64(trimmed)
}
