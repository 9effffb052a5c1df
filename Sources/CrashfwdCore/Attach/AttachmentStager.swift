#if canImport(Glibc)
    import Glibc
#endif

/// Chooses a detection's attachments and stages them in `STATE/attachments/REPORT_ID/`.
///
/// Staging happens when the crash is detected, because the originals may be gone by the
/// time the ticket exists: systemd-coredump deletes old cores and logs rotate. A file that
/// is already compressed (such as a systemd `.zst` core) is hard-linked when the queue is
/// on the same filesystem, else copied. Other files and the log excerpt are gzip-compressed
/// into the queue. A file that is rejected or over the size limit is not staged, and a
/// text note listing it and the reason is attached in its place.
public struct AttachmentStager {
    static let compressedSuffixes = [".zst", ".gz", ".xz", ".lz4", ".bz2", ".zip", ".7z"]
    static let noteFileName = "skipped-attachments.txt"

    let config: AttachConfig
    let specs: [String: [AttachmentSpec]]
    let attachmentsDirectory: String
    /// The followed journal, which a journal detection's excerpt is read from.
    let journal: JournalConfig

    public init(config: Config) {
        self.config = config.attach
        self.journal = config.journal ?? JournalConfig()
        self.specs = Dictionary(
            config.matchers.map { ($0.name, $0.attachments) },
            uniquingKeysWith: { first, _ in first })
        self.attachmentsDirectory = "\(config.stateDirectory)/attachments"
    }

    /// The directory that contains a report's staged files.
    public static func directory(stateDirectory: String, reportID: String) -> String {
        "\(stateDirectory)/attachments/\(reportID)"
    }

    /// Stages the attachments of a new detection and returns their records.
    ///
    /// Returns an empty list, staging nothing, when `queue` already contains the report: the
    /// same crash read again after a restart. Problems never stop the report; each becomes
    /// a skipped attachment with the reason.
    public func stage(_ detection: Detection, reportID: String, queue: ReportQueue) -> [Attachment]
    {
        guard let specs = specs[detection.matcher], !specs.isEmpty, !queue.contains(reportID) else {
            return []
        }
        let directory = "\(attachmentsDirectory)/\(reportID)"
        do {
            try FileIO.makeDirectory(directory, mode: 0o700)
        } catch {
            Log.error(
                "cannot create the attachment directory; the ticket is sent without attachments",
                ["REPORT_ID": reportID, "ERROR": "\(error)"])
            return specs.map {
                .skipped(
                    element: $0.element, kind: .note, origin: directory,
                    reason: "cannot create \(directory): \(error)")
            }
        }
        var attachments: [Attachment] = []
        for spec in specs {
            attachments += stage(
                spec, detection: detection, directory: directory, index: attachments.count)
        }
        AttachmentStager.makeNamesUnique(&attachments)
        for attachment in attachments where attachment.state == .skipped {
            Log.warning(
                "attachment skipped",
                [
                    "REPORT_ID": reportID, "ELEMENT": attachment.element, "FILE": attachment.origin,
                    "REASON": attachment.lastError ?? "",
                ])
        }
        if let note = writeNote(for: attachments, directory: directory, reportID: reportID) {
            attachments.append(note)
        }
        return attachments
    }

    func stage(_ spec: AttachmentSpec, detection: Detection, directory: String, index: Int)
        -> [Attachment]
    {
        switch spec.content {
        case .core:
            let field = "COREDUMP_FILENAME"
            guard
                let path = detection.journalFields[field] ?? detection.captures[field]
                    ?? detection.captures["coredump_filename"]
            else {
                return [
                    .skipped(
                        element: spec.element, kind: .core, origin: "",
                        reason:
                            "the crash has no \(field) journal field or coredump_filename capture")
                ]
            }
            return [
                stageFile(
                    path, kind: .core, element: spec.element, directory: directory, index: index)
            ]
        case .excerpt:
            return [
                stageExcerpt(detection, element: spec.element, directory: directory, index: index)
            ]
        case .files(let glob, let newest):
            let paths = AttachmentStager.newestFiles(matching: glob, count: newest)
            return paths.enumerated().map { offset, path in
                stageFile(
                    path, kind: .file, element: spec.element, directory: directory,
                    index: index + offset)
            }
        }
    }

    /// Opens `path` safely, checks its size and puts it into the queue.
    func stageFile(
        _ path: String, kind: Attachment.Kind, element: String, directory: String, index: Int
    ) -> Attachment {
        let file: SafeFile
        do {
            file = try SafeFile.open(path, allowedDirectories: config.allowedDirectories)
        } catch {
            return .skipped(
                element: element, kind: kind, origin: path, reason: "rejected: \(error)")
        }
        // The size is checked before anything is read, so a huge or sparse file costs nothing.
        guard file.size <= config.maximumFileBytes else {
            return .skipped(
                element: element, kind: kind, origin: path,
                reason:
                    "\(file.size) bytes is over the limit of \(config.maximumFileBytes) bytes (attach.max_file_bytes)"
            )
        }
        let baseName = DurableFile.baseName(of: path)
        let compressed = AttachmentStager.compressedSuffixes.contains { baseName.hasSuffix($0) }
        let fileName = compressed ? baseName : baseName + ".gz"
        let target = "\(directory)/\(index)-\(fileName)"
        do {
            let size =
                compressed
                ? try FileStaging.linkOrCopy(file, to: target)
                : try FileStaging.gzip(file, to: target)
            guard size <= config.maximumFileBytes else {
                try? FileIO.remove(target)
                return .skipped(
                    element: element, kind: kind, origin: path,
                    reason:
                        "compressed to \(size) bytes, still over the limit of \(config.maximumFileBytes) bytes (attach.max_file_bytes)"
                )
            }
            return Attachment(
                element: element, kind: kind, origin: path, stagedPath: target, fileName: fileName,
                size: size)
        } catch {
            return .skipped(
                element: element, kind: kind, origin: path,
                reason: "cannot copy it into the queue: \(error)")
        }
    }

    /// Writes the excerpt, gzip-compressed: for a journal detection the entries of the same
    /// unit and boot around the crash, for a log file detection the block and its context
    /// lines.
    func stageExcerpt(_ detection: Detection, element: String, directory: String, index: Int)
        -> Attachment
    {
        let lines =
            detection.journalFields.isEmpty
            ? fileExcerptLines(detection) : journalExcerptLines(detection)
        let text = Redactor.shared.redact(lines.joined(separator: "\n") + "\n")
        let fileName = "\(detection.matcher)-excerpt.log.gz"
        let target = "\(directory)/\(index)-\(fileName)"
        do {
            let size = try FileStaging.gzip(Array(text.utf8), to: target)
            return Attachment(
                element: element, kind: .excerpt, origin: "excerpt of \(detection.source)",
                stagedPath: target, fileName: fileName, size: size)
        } catch {
            return .skipped(
                element: element, kind: .excerpt, origin: detection.source,
                reason: "cannot write the excerpt: \(error)")
        }
    }

    func fileExcerptLines(_ detection: Detection) -> [String] {
        var lines = [
            "# crashfwd log excerpt", "# source: \(detection.source)",
            "# matcher: \(detection.matcher)",
            "# first line at: \(detection.timestamp) us since the Unix epoch",
        ]
        lines += detection.contextBefore + detection.lines + detection.contextAfter
        if detection.truncated { lines.append("# the block was cut short by a line or byte limit") }
        return lines
    }

    /// Reads the journal entries around the crash. When the journal cannot be read, the
    /// excerpt contains the detection's own lines and the error, so the ticket still shows it.
    func journalExcerptLines(_ detection: Detection) -> [String] {
        let excerpt = JournalExcerpt(
            location: journal.location, window: config.journalExcerptWindow,
            maximumFieldBytes: journal.maxFieldBytes)
        do {
            return try excerpt.lines(
                for: detection.journalFields, crashTime: detection.timestamp,
                detectionTime: Clock.microseconds())
        } catch {
            Log.warning(
                "failed to read the journal excerpt; attaching the crash entry alone",
                [
                    "MATCHER": detection.matcher,
                    "JOURNAL": JournalReader.describe(journal.location), "ERROR": "\(error)",
                ])
            return ["# cannot read the journal entries around the crash: \(error)"]
                + fileExcerptLines(detection)
        }
    }

    /// Writes a text file naming every skipped attachment and why, attached to the element
    /// of the first one.
    func writeNote(for attachments: [Attachment], directory: String, reportID: String)
        -> Attachment?
    {
        let skipped = attachments.filter { $0.state == .skipped }
        guard let first = skipped.first else { return nil }
        var text = "crashfwd did not attach these files to this ticket:\n\n"
        for attachment in skipped {
            text +=
                "- \(attachment.kind.rawValue) for element '\(attachment.element)': \(attachment.origin.isEmpty ? "(no path)" : attachment.origin)\n  \(attachment.lastError ?? "")\n"
        }
        let target = "\(directory)/\(AttachmentStager.noteFileName)"
        do {
            try DurableFile.write(text, to: target, mode: 0o600)
            return Attachment(
                element: first.element, kind: .note, origin: "list of skipped attachments",
                stagedPath: target, fileName: AttachmentStager.noteFileName,
                size: UInt64(text.utf8.count))
        } catch {
            Log.error(
                "cannot write the note about skipped attachments",
                ["REPORT_ID": reportID, "ERROR": "\(error)"])
            return nil
        }
    }

    /// Prefixes a file name with its index when an earlier attachment sends the same name to
    /// the same element, because the server replaces a file uploaded twice under one name.
    static func makeNamesUnique(_ attachments: inout [Attachment]) {
        var seen: Set<String> = []
        for index in attachments.indices where attachments[index].state != .skipped {
            let key = "\(attachments[index].element)/\(attachments[index].fileName)"
            if seen.contains(key) {
                attachments[index].fileName = "\(index)-\(attachments[index].fileName)"
            }
            seen.insert(key)
        }
    }

    /// Returns the `count` most recently modified paths matching `glob`, newest first.
    static func newestFiles(matching glob: String, count: Int) -> [String] {
        let dated = Glob(glob).expand().compactMap { path -> (path: String, modified: Int)? in
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            return (path, info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec)
        }
        return dated.sorted { ($0.modified, $0.path) > ($1.modified, $1.path) }.prefix(count).map(
            \.path)
    }
}
