#if canImport(Glibc)
    import Glibc
#endif

/// `crashfwd journal-scan`: reads journal files once with the journal matches, as the daemon
/// would, and prints how many entries were read and how long it took. Used by
/// `bench/journal.sh`; sends nothing and saves no cursor.
public enum JournalScanCommand {
    static let usage = """
        usage: crashfwd journal-scan [--all] FILE.journal...
          Reads the files with the default watch.journal matches (coredumps, kernel
          messages, priority err or more severe), or every entry with --all, and prints
          the number of records, crash entries and elapsed seconds.
        """

    public static func run(_ arguments: [String]) -> Int32 {
        let readAll = arguments.contains("--all")
        let files = arguments.filter { $0 != "--all" }
        guard !files.isEmpty, !files.contains(where: { $0.hasPrefix("-") }) else {
            print(usage)
            return 2
        }
        do {
            let start = monotonicSeconds()
            let (records, crashes) = try scan(files: files, readAll: readAll)
            let seconds = monotonicSeconds() - start
            print("records=\(records) crashes=\(crashes) seconds=\(seconds)")
            return 0
        } catch {
            print("error: cannot scan \(files.joined(separator: " ")): \(error)")
            return 1
        }
    }

    static func scan(files: [String], readAll: Bool) throws -> (records: Int, crashes: Int) {
        let config = JournalConfig(
            location: .files(files), matches: readAll ? [] : JournalConfig.defaultMatches,
            startAt: .boot)
        let reader = try JournalReader(location: config.location)
        defer { reader.close() }
        let source = try JournalSource(reader: reader, config: config)
        try reader.seekHead()
        var records = 0
        var crashes = 0
        while true {
            let batch = try source.read(limit: 1000)
            records += batch.count
            crashes +=
                batch.filter { $0.fields["MESSAGE_ID"] == JournalConfig.coredumpMessageID }.count
            if batch.count < 1000 { return (records, crashes) }
        }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
