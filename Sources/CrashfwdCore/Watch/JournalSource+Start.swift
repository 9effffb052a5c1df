#if canImport(Glibc)
    import Glibc
#endif

extension JournalSource {
    /// Positions the reader at the saved cursor, or at `start_at` when none is saved.
    func seekToStart() throws {
        let saved: JournalPosition?
        do {
            saved = try JournalPosition.load(from: cursorPath)
        } catch {
            onWarning("cannot read \(cursorPath): \(error); reading from the start of this boot")
            try reader.seekCurrentBootStart()
            return
        }
        guard let saved else {
            try seekToConfiguredStart()
            return
        }
        try resume(at: saved)
    }

    func seekToConfiguredStart() throws {
        switch config.startAt {
        case .boot:
            try reader.seekCurrentBootStart()
        case .tail:
            // Stand on the newest matching entry and count it as handled, so that a restart
            // before anything new arrives resumes here instead of at the new tail.
            try reader.seekTail()
            if try reader.previous() {
                handled = .after(try reader.cursor())
            } else {
                // No entry matches yet. Seek to the head: left at the tail, sd-journal 252
                // returns only the newest entry of those that arrive before the next read.
                try reader.seekHead()
            }
        }
    }

    /// Seeks to a saved cursor. When its entry is gone, warns and resumes at the first entry
    /// with the cursor's timestamp or later: never at the head of the whole journal and never
    /// silently at the tail.
    func resume(at saved: JournalPosition) throws {
        if (try? reader.seekCursor(saved.cursor)) != nil, try reader.next(),
            reader.testCursor(saved.cursor)
        {
            handled = saved
            lastSaved = saved
            if case .at = saved { currentIsUnread = true }
            return
        }
        guard let realtime = saved.realtime else {
            onWarning(
                "invalid journal cursor in \(cursorPath): '\(saved.cursor)'; reading from the start of this boot"
            )
            try reader.seekCurrentBootStart()
            return
        }
        onWarning(
            "entry of the saved journal cursor was not found: it was vacuumed, rotated away, "
                + "or no longer matches watch.journal.matches; resuming at the first entry "
                + "from \(Self.formatRealtime(realtime)) on. Entries removed before that were not read"
        )
        // Inclusive, so an entry sharing the lost entry's timestamp may be read twice but is
        // never skipped.
        try reader.seekRealtime(realtime)
    }

    /// Formats microseconds since the epoch as UTC `YYYY-MM-DDTHH:MM:SS.uuuuuuZ`.
    static func formatRealtime(_ usec: UInt64) -> String {
        var seconds = time_t(usec / 1_000_000)
        var parts = tm()
        var buffer = [CChar](repeating: 0, count: 32)
        guard gmtime_r(&seconds, &parts) != nil,
            strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts) > 0
        else { return "\(usec) us" }
        let fraction = String(usec % 1_000_000)
        let padded = String(repeating: "0", count: 6 - fraction.count) + fraction
        let text = String(
            decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(text).\(padded)Z"
    }
}
