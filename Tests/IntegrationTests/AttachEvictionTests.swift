import Foundation
import Testing

@Suite(.serialized) struct AttachEvictionTests {
    /// Two crashes each stage a 1 MiB core while every upload fails, and `max_bytes` fits
    /// only one core. The second crash makes crashfwd evict the first report's files, and
    /// that report still finishes as done with its attachments skipped.
    @Test func oldestStagedFilesEvictedOverMaxBytes() throws {
        let harness = try AttachHarness()
        let firstCore = "\(harness.allowedDirectory)/core.app.1.zst"
        let secondCore = "\(harness.allowedDirectory)/core.app.2.zst"
        try AttachHarness.writeRandomFile(firstCore, size: 1024 * 1024)
        try AttachHarness.writeRandomFile(secondCore, size: 1024 * 1024)
        try harness.sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/fileElements/", "times": -1, "status": 503}]"#)
        // A 5 s backoff leaves the first report unclaimed, so evictable, when the second
        // crash is stored.
        try harness.start(delivery: [
            "initial_backoff: 5s", "maximum_backoff: 5s", "max_bytes: 1536K",
        ])

        try harness.crash(core: firstCore, pid: 1)
        try harness.waitUntil("both uploads of the first report to fail") {
            harness.daemonLog.components(separatedBy: "attachment upload failed, will retry")
                .count == 3
        }
        // The failure is logged before the report is saved and released.
        usleep(300_000)
        let first = try #require(try harness.reports().first)
        let firstID = try #require(first["id"] as? String)
        let firstDirectory = "\(harness.stateDirectory)/attachments/\(firstID)"
        #expect(try !FileManager.default.contentsOfDirectory(atPath: firstDirectory).isEmpty)

        try harness.crash(core: secondCore, pid: 2)
        try harness.waitUntil("the first report to be done") {
            try harness.reports().contains {
                $0["id"] as? String == firstID && $0["state"] as? String == "done"
            }
        }

        let evictionLine = harness.daemonLog.split(separator: "\n").first {
            $0.contains("deleted a report's staged attachments to stay within delivery.max_bytes")
        }
        let line = try #require(evictionLine, "\(harness.daemonLog)")
        #expect(line.contains("REPORT_ID=\(firstID)"), "\(line)")
        #expect(line.contains("BYTES="), "\(line)")
        #expect(!FileManager.default.fileExists(atPath: firstDirectory))
        let firstReport = try #require(
            try harness.reports().first { $0["id"] as? String == firstID })
        let attachments = try #require(firstReport["attachments"] as? [[String: Any]])
        #expect(attachments.count == 2)
        for attachment in attachments {
            #expect(attachment["state"] as? String == "skipped", "\(attachment)")
            #expect(
                attachment["lastError"] as? String
                    == "evicted: the queue was over delivery.max_bytes", "\(attachment)")
        }

        try harness.sandbox.clearFaults()
        try harness.waitUntil("both reports to be done") {
            try harness.reportStates() == ["done", "done"]
        }
        let tickets = try harness.sandbox.tickets()
        #expect(tickets.count == 2)
        #expect(tickets.map(\.attachments.count).sorted() == [0, 2])
    }
}
