extension JournalSource {
    /// Returns up to `limit` entries that follow the last one read.
    ///
    /// File changes are applied with `sd_journal_process` only once the open files are read
    /// to the end, so a file that journald rotated is read to its end before its archived
    /// name is opened. A file deleted by vacuum is not readable any more (sd-journal 252
    /// stops at a file whose link count is 0), and that loss is reported to `onWarning`.
    public func read(limit: Int) throws -> [LogRecord] {
        var records: [LogRecord] = []
        records.reserveCapacity(min(limit, 1024))
        while records.count < limit {
            if try moveToUnreadEntry() {
                records.append(try makeRecord())
                continue
            }
            let change = try reader.process()
            if change == .none { break }
            if change == .invalidate { try checkForRemovedEntries() }
        }
        backlog = records.count >= limit
        return records
    }

    /// Warns when every file holding entries newer than the last one read is gone, which
    /// happens when files are vacuumed faster than they are read.
    ///
    /// NOTE: the check cannot tell whether the removed part held entries that match the
    /// filter, so it may warn about a range in which no matching entry was lost.
    func checkForRemovedEntries() throws {
        Log.debug("journal files changed: rotation, vacuum or journald restart")
        guard let lastRealtime, let oldest = try reader.cutoffRealtime()?.from,
            oldest > lastRealtime, oldest > reportedRemovedUntil
        else { return }
        reportedRemovedUntil = oldest
        onWarning(
            "journal files were removed before they were read to the end: entries written after "
                + "\(Self.formatRealtime(lastRealtime)) and before \(Self.formatRealtime(oldest)) may be lost"
        )
    }

    func moveToUnreadEntry() throws -> Bool {
        if currentIsUnread {
            currentIsUnread = false
            return true
        }
        return try reader.next()
    }

    func makeRecord() throws -> LogRecord {
        var fields: [String: String] = [:]
        let maxBytes = config.maxFieldBytes
        try reader.forEachField { data in
            guard let (name, value) = JournalFieldText.split(data, maxBytes: maxBytes) else {
                return
            }
            // NOTE: a field that occurs more than once in an entry keeps its first value.
            if fields[name] == nil { fields[name] = value }
        }
        let cursor = try reader.cursor()
        let timestamp = try reader.realtime()
        sequence += 1
        handled = .after(cursor)
        lastRealtime = timestamp
        return LogRecord(
            source: Self.sourceID, stream: Self.stream(of: fields), text: fields["MESSAGE"] ?? "",
            fields: fields,
            position: RecordPosition(sequence: sequence, id: cursor, resume: cursor),
            timestamp: timestamp)
    }

    /// `_TRANSPORT/SYSLOG_IDENTIFIER/_PID`, so lines of different processes do not mix.
    static func stream(of fields: [String: String]) -> String {
        let transport = fields["_TRANSPORT"] ?? ""
        let identifier = fields["SYSLOG_IDENTIFIER"] ?? fields["_COMM"] ?? ""
        return "\(transport)/\(identifier)/\(fields["_PID"] ?? "")"
    }

    /// Saves `at` the first record of the oldest pending block, or else `after` the last
    /// entry read. Writes only when the position changed.
    public func savePositions(oldestPending: (String) -> RecordPosition?) throws {
        let pending = oldestPending(Self.sourceID).map { JournalPosition.at($0.resume) }
        guard let position = pending ?? handled, position != lastSaved else { return }
        try FileIO.makeDirectory(stateDirectory)
        try position.save(to: cursorPath)
        lastSaved = position
    }
}
