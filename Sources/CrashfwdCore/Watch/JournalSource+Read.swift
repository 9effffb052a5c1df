extension JournalSource {
    /// Returns up to `limit` entries that follow the last one read.
    ///
    /// File changes are applied with `sd_journal_process` only once the open files are read
    /// to the end. A file that journald rotated or that was vacuumed stays readable through
    /// its open descriptor until then, so its remaining entries are read first.
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
            if change == .invalidate {
                Log.debug("journal files changed: rotation, vacuum or journald restart")
            }
        }
        backlog = records.count >= limit
        return records
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
            guard let (name, value) = JournalFieldText.split(data, maxBytes: maxBytes) else { return }
            // NOTE: a field that occurs more than once in an entry keeps its first value.
            if fields[name] == nil { fields[name] = value }
        }
        let cursor = try reader.cursor()
        let timestamp = try reader.realtime()
        sequence += 1
        handled = .after(cursor)
        return LogRecord(
            source: Self.sourceID, stream: Self.stream(of: fields), text: fields["MESSAGE"] ?? "",
            fields: fields, position: RecordPosition(sequence: sequence, id: cursor, resume: cursor),
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
