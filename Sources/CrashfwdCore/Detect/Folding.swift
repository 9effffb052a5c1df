import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Folds a crash loop into one ticket: per fingerprint, the first crash of a window is
/// reported at once and repeats within the window are only counted. When a window that
/// saw repeats closes, a summary detection reports how many there were. A global budget
/// caps the tickets (first reports) per hour; crashes over it are counted as repeats and
/// in `overflowCount`. Summaries do not count against the budget, because there is at most
/// one per fingerprint and window.
///
/// Times are wall-clock seconds since the Unix epoch, because windows must survive a
/// restart. The state is saved to `folding.json` in the state directory by `save()`.
/// Not thread-safe.
public final class CrashFolder {
    public enum Decision: Equatable, Sendable {
        /// Send a ticket for this detection.
        case report
        /// Count it only: a repeat within its fingerprint's window, or over the budget.
        case folded
    }

    /// The maximum number of fingerprints tracked at once. When it is exceeded, the least
    /// recently seen is closed first.
    public static let maxEntries = 1000
    /// Lines of a crash kept as the sample of a summary report.
    static let sampleLines = 20
    /// Bytes of each sample line kept.
    static let sampleLineBytes = 512

    public let config: FoldingConfig
    let statePath: String?
    var state: FoldingState
    var pendingSummaries: [Detection] = []
    /// The error that kept the saved state from being read, if any. Folding then starts
    /// empty, and the caller should log this.
    public private(set) var loadProblem: String?

    /// Loads the saved state from `stateDirectory`, if any; nil keeps the state in memory.
    public init(config: FoldingConfig, stateDirectory: String?) {
        self.config = config
        self.statePath = stateDirectory.map { "\($0)/folding.json" }
        self.state = FoldingState()
        if let statePath { load(statePath) }
    }

    /// Crashes over the hourly ticket budget since the state was created.
    public var overflowCount: Int { state.budget.overflow }

    /// Decides whether a detection gets a ticket. `now` is wall-clock seconds.
    public func admit(_ detection: Detection, now: Double) -> Decision {
        guard config.enabled else { return .report }
        let key = detection.fingerprint
        if var entry = state.entries[key] {
            if now < entry.windowStart + config.window {
                entry.repeats += 1
                entry.lastSeen = max(entry.lastSeen, now)
                state.entries[key] = entry
                return .folded
            }
            close(entry)
        }
        var entry = FoldingEntry(
            fingerprint: key, windowStart: now, lastSeen: now, repeats: 0,
            sample: CrashFolder.sample(of: detection))
        let allowed = state.budget.take(now: now, limit: config.maxTicketsPerHour)
        if !allowed { entry.repeats = 1 }
        state.entries[key] = entry
        evictIfFull()
        return allowed ? .report : .folded
    }

    /// Closes the windows that ended by `now` and returns their summaries (and those of
    /// windows closed earlier by `admit` or eviction).
    public func expired(now: Double) -> [Detection] {
        guard config.enabled else { return [] }
        let ended = state.entries.values.filter { $0.windowStart + config.window <= now }
        for entry in ended.sorted(by: { $0.windowStart < $1.windowStart }) {
            close(entry)
        }
        let summaries = pendingSummaries
        pendingSummaries = []
        return summaries
    }

    /// The wall-clock time at which the earliest window ends.
    public var nextDeadline: Double? {
        guard config.enabled else { return nil }
        if !pendingSummaries.isEmpty { return 0 }
        return state.entries.values.map { $0.windowStart + config.window }.min()
    }

    /// Writes the state durably (atomic replace, fsynced).
    public func save() throws {
        guard let statePath else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(state)
        try DurableFile.write([UInt8](data), to: statePath, mode: 0o600)
    }

    private func load(_ path: String) {
        do {
            guard let bytes = try FileIO.readFile(path, maximumBytes: 64 << 20) else { return }
            state = try JSONDecoder().decode(FoldingState.self, from: Data(bytes))
        } catch {
            loadProblem = "cannot read folding state \(path): \(error); starting empty"
        }
    }

    /// Removes an entry and queues its summary when the window saw repeats.
    private func close(_ entry: FoldingEntry) {
        state.entries[entry.fingerprint] = nil
        guard config.summary, entry.repeats > 0 else { return }
        pendingSummaries.append(summary(of: entry))
    }

    private func evictIfFull() {
        while state.entries.count > CrashFolder.maxEntries {
            guard let oldest = state.entries.values.min(by: { $0.lastSeen < $1.lastSeen }) else {
                return
            }
            close(oldest)
        }
    }
}
