import Foundation
import Synchronization
import Testing

@testable import CrashfwdCore

/// Saves a created report with one pending attachment of `size` bytes staged on disk.
private func stageReport(_ number: Int, createdAt: Double, size: Int, in queue: ReportQueue)
    throws -> Report
{
    var report = makeReport(number, state: .created, createdAt: createdAt)
    let directory = AttachmentStager.directory(
        stateDirectory: queue.directory, reportID: report.id)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = "\(directory)/0-core.zst"
    try Data(repeating: 7, count: size).write(to: URL(fileURLWithPath: path))
    report.attachments = [
        Attachment(
            element: "core", kind: .core, origin: "/var/crash/core", stagedPath: path,
            fileName: "core.zst", size: UInt64(size))
    ]
    report.nextAttemptAt = createdAt + 3600
    try queue.save(report)
    return report
}

private func stagedFileExists(_ report: Report) -> Bool {
    guard let path = report.attachments.first?.stagedPath else { return false }
    return FileManager.default.fileExists(atPath: path)
}

/// A claim set like the deliverer's, so tests can hold a report as if it were in flight.
private final class Claims: Sendable {
    let claimed = Mutex<Set<String>>([])

    func attachments(_ queue: ReportQueue, _ statistics: Statistics) -> StagedAttachments {
        StagedAttachments(
            queue: queue, statistics: statistics,
            claim: { id in self.claimed.withLock { $0.insert(id).inserted } },
            release: { id in _ = self.claimed.withLock { $0.remove(id) } })
    }
}

@Suite struct StagedAttachmentsTests {
    @Test func storedBytesSumsStagedFiles() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        _ = try stageReport(1, createdAt: 100, size: 1000, in: queue)
        _ = try stageReport(2, createdAt: 200, size: 2500, in: queue)
        let attachments = Claims().attachments(queue, Statistics())
        #expect(attachments.storedBytes() == 3500)
    }

    @Test func oldestReportAttachmentsGoFirst() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let newer = try stageReport(1, createdAt: 200, size: 4000, in: queue)
        let oldest = try stageReport(2, createdAt: 100, size: 4000, in: queue)
        let statistics = Statistics()
        let attachments = Claims().attachments(queue, statistics)
        let reportBytes = queue.entries().values.map(\.bytes).reduce(0, +)
        var limits = QueueLimits()
        // Room for the reports (with slack for the skip reasons) and one staged file.
        limits.maximumBytes = reportBytes + 1000 + 4000

        let evicted = queue.enforce(limits, now: 300, attachments: attachments)

        #expect(evicted.isEmpty)
        #expect(!stagedFileExists(oldest))
        #expect(stagedFileExists(newer))
        let reloaded = try queue.load(oldest.id)
        #expect(reloaded.attachments.first?.state == .skipped)
        #expect(reloaded.attachments.first?.lastError == StagedAttachments.evictionReason)
        #expect(reloaded.nextAttemptAt <= Clock.now())
        #expect(try queue.load(newer.id).attachments.first?.state == .pending)
        #expect(statistics.snapshot.reportsEvicted["attachments"] == 1)
    }

    @Test func reportsDropOnlyWhenAttachmentsAreNotEnough() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let oldest = try stageReport(1, createdAt: 100, size: 4000, in: queue)
        let newer = try stageReport(2, createdAt: 200, size: 4000, in: queue)
        let statistics = Statistics()
        let attachments = Claims().attachments(queue, statistics)
        let largestReport = try #require(queue.entries().values.map(\.bytes).max())
        var limits = QueueLimits()
        // Below both report files even with every staged file gone, so one report must go.
        limits.maximumBytes = largestReport + 100

        let evicted = queue.enforce(limits, now: 300, attachments: attachments)

        #expect(!stagedFileExists(oldest))
        #expect(!stagedFileExists(newer))
        #expect(statistics.snapshot.reportsEvicted["attachments"] == 2)
        #expect(evicted.map(\.id) == [oldest.id])
        #expect(evicted.first?.reason == .maximumBytes)
        #expect(queue.contains(newer.id))
    }

    @Test func claimedReportKeepsItsFiles() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let inFlight = try stageReport(1, createdAt: 100, size: 4000, in: queue)
        let waiting = try stageReport(2, createdAt: 200, size: 4000, in: queue)
        let claims = Claims()
        claims.claimed.withLock { _ = $0.insert(inFlight.id) }
        let attachments = claims.attachments(queue, Statistics())

        let freed = attachments.evictOldest(freeing: 1)

        #expect(freed == 4000)
        #expect(stagedFileExists(inFlight))
        #expect(!stagedFileExists(waiting))
        #expect(try queue.load(inFlight.id).attachments.first?.state == .pending)
    }
}
