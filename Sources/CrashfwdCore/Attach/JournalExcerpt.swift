#if canImport(Glibc)
    import Glibc
#endif

/// The journal entries of a crashed unit around the crash, as text for the excerpt attachment.
///
/// The entries are those of the crash's boot and unit from `window` seconds before the crash
/// up to the detection time. They end at most `window` seconds after the crash, so a crash
/// found while catching up on an old backlog still gets the entries around it. When the limits
/// are reached, the entries closest to the crash are kept: the ones before the crash are
/// read backwards from it and take precedence over the ones after it.
struct JournalExcerpt {
    static let maximumEntries = 2000
    /// The limit on the formatted text before compression.
    static let maximumBytes = 1 << 20

    let location: JournalLocation
    /// Seconds before (and at most after) the crash.
    let window: Double
    let maximumFieldBytes: Int

    /// Returns the `FIELD=value` matches, ORed, that select the crashed program's entries,
    /// and a description of them for the excerpt header. Returns nil when the entry names
    /// neither a unit nor a program.
    ///
    /// A coredump entry is written by systemd-coredump, so the crashed unit is its
    /// `COREDUMP_UNIT` field and the crashed program its `COREDUMP_COMM`. A unit selects its
    /// own output (`_SYSTEMD_UNIT`, set by journald), systemd's messages about it (`UNIT`)
    /// and its coredumps (`COREDUMP_UNIT`). Unlike `journalctl -u`, the excerpt does not
    /// require `_PID=1` for `UNIT` or `_UID=0` for `COREDUMP_UNIT`, so a local process can add
    /// entries to the excerpt by writing these client fields. It could already do that with
    /// its own `SYSLOG_IDENTIFIER`, and the excerpt is evidence, not a decision.
    static func matches(for fields: [String: String]) -> (matches: [String], subject: String)? {
        let isCoredump = fields["MESSAGE_ID"] == JournalConfig.coredumpMessageID
        let unit = isCoredump ? fields["COREDUMP_UNIT"] : fields["_SYSTEMD_UNIT"]
        if let unit, !unit.isEmpty {
            return (
                ["_SYSTEMD_UNIT=\(unit)", "UNIT=\(unit)", "COREDUMP_UNIT=\(unit)"], "unit \(unit)"
            )
        }
        let program =
            isCoredump ? fields["COREDUMP_COMM"] : fields["SYSLOG_IDENTIFIER"] ?? fields["_COMM"]
        if let program, !program.isEmpty {
            return (["SYSLOG_IDENTIFIER=\(program)", "_COMM=\(program)"], "program \(program)")
        }
        return nil
    }

    /// Reads the entries around the crash described by `fields` and returns the excerpt's
    /// lines, header comments first.
    ///
    /// The journal is opened, read and closed within this call, on the caller's thread. Opening
    /// maps every journal file of the location. The matches let sd-journal find the entries
    /// through its field indexes, so the cost grows with the number of files and of selected
    /// entries, not with the size of the journal.
    func lines(for fields: [String: String], crashTime: UInt64, detectionTime: UInt64) throws
        -> [String]
    {
        guard let (matches, subject) = JournalExcerpt.matches(for: fields) else {
            throw JournalExcerptError(
                "the crash entry has no COREDUMP_UNIT, _SYSTEMD_UNIT, SYSLOG_IDENTIFIER or _COMM field"
            )
        }
        let windowUsec = UInt64(window * 1_000_000)
        let start = crashTime > windowUsec ? crashTime - windowUsec : 0
        let end = max(crashTime, min(detectionTime, crashTime + windowUsec))
        let reader = try JournalReader(location: location, watchForChanges: false)
        defer { reader.close() }
        try reader.setDataThreshold(maximumFieldBytes + 1)
        for (index, match) in matches.enumerated() {
            if index > 0 { try reader.addDisjunction() }
            try reader.addMatch(match)
        }
        let bootID = fields["_BOOT_ID"]
        if let bootID {
            try reader.addConjunction()
            try reader.addMatch("_BOOT_ID=\(bootID)")
        }

        var budget = Budget()
        let before = try readBefore(reader, from: start, through: crashTime, budget: &budget)
        let after = try readAfter(reader, from: crashTime, through: end, budget: &budget)
        var header = [
            "# crashfwd journal excerpt: entries of \(subject), boot \(bootID ?? "(unknown)")",
            "# matches: \(matches.joined(separator: " OR "))",
            "# from \(JournalExcerpt.format(start)) to \(JournalExcerpt.format(end)); crash at \(JournalExcerpt.format(crashTime))",
        ]
        if before.cut, let first = before.lines.first {
            header.append(
                "# cut: older entries were left out, the first one kept is at \(first.prefix(32))")
        }
        if after.cut {
            header.append("# cut: later entries after the last one shown were left out")
        }
        header.append(
            "# limits: \(JournalExcerpt.maximumEntries) entries, \(JournalExcerpt.maximumBytes) bytes"
        )
        return header + before.lines + after.lines
    }

    /// The entry and byte limits shared by both reading directions.
    struct Budget {
        var entries = JournalExcerpt.maximumEntries
        var bytes = JournalExcerpt.maximumBytes

        /// Subtracts one line and returns false when it does not fit.
        mutating func take(_ line: String) -> Bool {
            let size = line.utf8.count + 1
            guard entries > 0, size <= bytes else { return false }
            entries -= 1
            bytes -= size
            return true
        }
    }

    /// Reads backwards from the crash, so the entries nearest the crash survive a cut.
    func readBefore(
        _ reader: JournalReader, from start: UInt64, through crashTime: UInt64, budget: inout Budget
    ) throws -> (lines: [String], cut: Bool) {
        try reader.seekRealtime(crashTime + 1)
        var lines: [String] = []
        while try reader.previous() {
            let time = try reader.realtime()
            // A seek is exact only within one file, so a neighbouring file's entry can be late.
            if time > crashTime { continue }
            if time < start { break }
            let line = try formatEntry(reader, time: time)
            guard budget.take(line) else { return (lines.reversed(), true) }
            lines.append(line)
        }
        return (lines.reversed(), false)
    }

    func readAfter(
        _ reader: JournalReader, from crashTime: UInt64, through end: UInt64, budget: inout Budget
    ) throws -> (lines: [String], cut: Bool) {
        try reader.seekRealtime(crashTime + 1)
        var lines: [String] = []
        while try reader.next() {
            let time = try reader.realtime()
            if time <= crashTime { continue }
            if time > end { break }
            let line = try formatEntry(reader, time: time)
            guard budget.take(line) else { return (lines, true) }
            lines.append(line)
        }
        return (lines, false)
    }

    /// Formats the current entry like `journalctl -o short-iso-precise` in UTC:
    /// `2026-12-04T16:13:02.123456+00:00 HOST IDENTIFIER[PID]: MESSAGE`. Continuation lines
    /// of a multi-line message are indented to the message column, as journalctl does.
    func formatEntry(_ reader: JournalReader, time: UInt64) throws -> String {
        let kept: Set<String> = [
            "_HOSTNAME", "SYSLOG_IDENTIFIER", "_COMM", "SYSLOG_PID", "_PID", "MESSAGE",
        ]
        var fields: [String: String] = [:]
        try reader.forEachField { data in
            guard let (name, value) = JournalFieldText.split(data, maxBytes: maximumFieldBytes),
                kept.contains(name), fields[name] == nil
            else { return }
            fields[name] = value
        }
        let identifier = fields["SYSLOG_IDENTIFIER"] ?? fields["_COMM"] ?? "unknown"
        let pid = (fields["SYSLOG_PID"] ?? fields["_PID"]).map { "[\($0)]" } ?? ""
        let prefix =
            "\(JournalExcerpt.format(time)) \(fields["_HOSTNAME"] ?? "localhost") \(identifier)\(pid): "
        let indent = String(repeating: " ", count: prefix.count)
        // Continuation lines are indented, but an empty one stays empty so no line ends in spaces.
        let message = (fields["MESSAGE"] ?? "").split(
            separator: "\n", omittingEmptySubsequences: false
        )
        .enumerated()
        .map { index, line in index == 0 || line.isEmpty ? String(line) : indent + line }
        .joined(separator: "\n")
        return prefix + message
    }

    /// Formats microseconds since the Unix epoch as `2026-12-04T16:13:02.123456+00:00`.
    static func format(_ usec: UInt64) -> String {
        var seconds = time_t(usec / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let micros = String(usec % 1_000_000)
        return
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - micros.count) + micros + "+00:00"
    }
}

struct JournalExcerptError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
