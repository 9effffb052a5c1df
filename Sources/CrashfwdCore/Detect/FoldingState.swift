#if canImport(Glibc)
    import Glibc
#endif

/// The state `CrashFolder` saves across restarts.
struct FoldingState: Codable {
    var version = 1
    var entries: [String: FoldingEntry] = [:]
    var budget = TicketBudget()
}

/// The open window of one fingerprint.
struct FoldingEntry: Codable {
    var fingerprint: String
    /// Wall-clock seconds of the first crash of the window.
    var windowStart: Double
    var lastSeen: Double
    /// Crashes in the window that got no ticket.
    var repeats: Int
    /// The first crash, trimmed, which the summary report is built from.
    var sample: Detection
}

/// The hourly ticket budget: an hour starts with the first ticket after the previous one
/// ended.
struct TicketBudget: Codable {
    var hourStart: Double = 0
    var used = 0
    var overflow = 0

    /// Takes one ticket; returns false (and counts an overflow) when the hour's are used up.
    mutating func take(now: Double, limit: Int) -> Bool {
        if now >= hourStart + 3600 || now < hourStart {
            hourStart = now
            used = 0
        }
        guard used < limit else {
            overflow += 1
            return false
        }
        used += 1
        return true
    }
}

extension CrashFolder {
    /// Returns a copy of a detection small enough to keep in the state file.
    static func sample(of detection: Detection) -> Detection {
        var sample = detection
        sample.lines = detection.lines.prefix(sampleLines).map { line in
            guard line.utf8.count > sampleLineBytes else { return line }
            return String(decoding: line.utf8.prefix(sampleLineBytes), as: UTF8.self)
        }
        sample.truncated = detection.truncated || detection.lines.count > sampleLines
        sample.contextBefore = []
        sample.contextAfter = []
        return sample
    }

    /// Builds the summary report of a closed window: the sample crash with the captures
    /// `summary` (`true`), `occurrences` (crashes without a ticket), `first_seen` and
    /// `last_seen` (UTC, ISO 8601). Its record id differs from the first report's, so the
    /// queue does not take it for a duplicate.
    func summary(of entry: FoldingEntry) -> Detection {
        var summary = entry.sample
        summary.captures["summary"] = "true"
        summary.captures["occurrences"] = String(entry.repeats)
        summary.captures["first_seen"] = CrashFolder.isoTime(entry.windowStart)
        summary.captures["last_seen"] = CrashFolder.isoTime(entry.lastSeen)
        summary.firstRecordID = "\(entry.sample.firstRecordID)#summary-\(Int(entry.windowStart))"
        summary.timestamp = UInt64(max(0, entry.lastSeen) * 1_000_000)
        return summary
    }

    /// Formats wall-clock seconds as `2026-12-04T16:13:02Z`.
    static func isoTime(_ seconds: Double) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
