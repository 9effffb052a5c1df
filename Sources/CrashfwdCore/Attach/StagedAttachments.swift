#if canImport(Glibc)
    import Glibc
#endif

/// The staged attachment files of queued reports, which the queue limits shrink before
/// they drop reports.
///
/// Only directories of reports in the queue count. A directory without a report is either
/// being staged for a report not yet enqueued, or left over, and neither can be evicted.
struct StagedAttachments: AttachmentEvicting {
    static let evictionReason = "evicted: the queue was over delivery.max_bytes"
    static let statisticsReason = "attachments"

    let queue: ReportQueue
    let statistics: Statistics
    /// Claims a report so that no delivery thread attempts it meanwhile. Returns false when
    /// a delivery thread has it.
    let claim: @Sendable (String) -> Bool
    let release: @Sendable (String) -> Void

    /// Sums the sizes of the regular files in `STATE/attachments/REPORT_ID/`, as `lstat`
    /// reports them. Returns 0 when the directory is missing or unreadable.
    func stagedBytes(reportID: String) -> Int {
        let directory = AttachmentStager.directory(
            stateDirectory: queue.directory, reportID: reportID)
        guard let names = try? FileIO.listDirectory(directory) else { return 0 }
        var total = 0
        for name in names {
            var info = stat()
            guard lstat("\(directory)/\(name)", &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFREG { total += Int(info.st_size) }
        }
        return total
    }

    /// Walks `STATE/attachments/` rather than the queue, so the cost follows the number of
    /// reports with staged files and not the size of the backlog.
    func storedBytes() -> Int {
        // `STATE/attachments/`, the parent of every report's directory.
        let root = AttachmentStager.directory(stateDirectory: queue.directory, reportID: "")
        var total = 0
        try? FileIO.forEachName(in: root) { name in
            if queue.contains(name) { total += stagedBytes(reportID: name) }
        }
        return total
    }

    /// Evicts the staged files of whole reports, oldest report first, until `bytes` are
    /// freed. Skips reports that a delivery thread has claimed. Returns the bytes freed.
    func evictOldest(freeing bytes: Int) -> Int {
        let oldestFirst = queue.entries { _ in true }.sorted {
            ($0.entry.createdAt, $0.id) < ($1.entry.createdAt, $1.id)
        }
        var freed = 0
        for (id, _) in oldestFirst {
            guard freed < bytes else { break }
            guard stagedBytes(reportID: id) > 0, claim(id) else { continue }
            defer { release(id) }
            freed += evict(reportID: id)
        }
        return freed
    }

    /// Marks the report's unfinished attachments as skipped, then deletes its staged files.
    /// Returns the bytes deleted.
    ///
    /// The report is written first. A crash between the two steps leaves files that the
    /// next check evicts again, while the reverse order would leave pending attachments
    /// whose files are gone, which the uploader then records as failed.
    ///
    /// NOTE: `crashfwd queue` requests are applied without a claim, so a retry applied at the
    /// same moment can write back the pending states. Those attachments then fail because
    /// their staged copy is missing, and the report still finishes.
    func evict(reportID: String) -> Int {
        do {
            var report = try queue.load(reportID)
            var skipped = 0
            for index in report.attachments.indices where !report.attachments[index].isFinished {
                report.attachments[index].state = .skipped
                report.attachments[index].lastError = StagedAttachments.evictionReason
                skipped += 1
            }
            if skipped > 0 {
                let now = Clock.now()
                report.updatedAt = now
                // A created report with nothing left to upload becomes done on its next attempt.
                if report.state == .created {
                    report.nextAttemptAt = min(report.nextAttemptAt, now)
                }
                guard try queue.update(report) else { return 0 }
            }
            let bytes = try removeFiles(reportID: reportID)
            statistics.reportEvicted(reason: StagedAttachments.statisticsReason)
            Log.warning(
                "deleted a report's staged attachments to stay within delivery.max_bytes",
                [
                    "REPORT_ID": reportID, "BYTES": "\(bytes)",
                    "SKIPPED_ATTACHMENTS": "\(skipped)",
                ])
            return bytes
        } catch {
            Log.warning(
                "failed to evict a report's staged attachments, so the queue may stay over delivery.max_bytes",
                ["REPORT_ID": reportID, "ERROR": "\(error)"])
            return 0
        }
    }

    /// Deletes the regular files in the report's staging directory, durably, and returns
    /// their total size. The directory stays, because `AttachmentStore.removeStaged` removes
    /// it when the report is done.
    private func removeFiles(reportID: String) throws -> Int {
        let directory = AttachmentStager.directory(
            stateDirectory: queue.directory, reportID: reportID)
        var total = 0
        for name in try FileIO.listDirectory(directory) {
            let path = "\(directory)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            try FileIO.remove(path)
            total += Int(info.st_size)
        }
        try DurableFile.syncDirectory(directory)
        return total
    }
}
