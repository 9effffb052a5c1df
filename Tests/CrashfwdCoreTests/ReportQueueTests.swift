import Foundation
import Testing

@testable import CrashfwdCore

/// A fresh state directory, removed afterwards.
final class StateDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "crashfwd-queue-\(UUID().uuidString)"
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func makeReport(_ number: Int, state: Report.State = .queued, createdAt: Double = 1000) -> Report {
    let detection = Detection(
        matcher: "segfault", destination: "sandbox", source: "file:/var/log/app.log",
        captures: ["pid": "\(number)"], lines: ["app[\(number)]: segfault"],
        firstRecordID: "record-\(number)", timestamp: 0)
    var report = Report(
        id: detection.reportID, destination: "sandbox", detection: detection, body: "{}",
        now: createdAt)
    report.state = state
    return report
}

@Suite struct ReportQueueTests {
    @Test func savedReportReloads() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        var report = makeReport(1)
        report.createRequestSentAt = 5
        try queue.save(report)
        let reopened = try ReportQueue(stateDirectory: state.path)
        #expect(try reopened.load(report.id) == report)
        #expect(reopened.entries()[report.id]?.bytes ?? 0 > 0)
    }

    @Test func enqueueSkipsKnownID() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        #expect(try queue.enqueue(makeReport(1)))
        #expect(try !queue.enqueue(makeReport(1)))
    }

    @Test(arguments: ["{not json", "", "{\"id\": \"abc\"}"])
    func unreadableFileIsQuarantined(content: String) throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let good = makeReport(1)
        try queue.save(good)
        let bad = "\(queue.reportsDirectory)/0123456789abcdef0123456789abcdef.json"
        try Data(content.utf8).write(to: URL(fileURLWithPath: bad))

        let reopened = try ReportQueue(stateDirectory: state.path)
        #expect(reopened.quarantined.map(\.file) == ["0123456789abcdef0123456789abcdef.json"])
        #expect(!FileManager.default.fileExists(atPath: bad))
        #expect(
            FileManager.default.fileExists(
                atPath: "\(queue.quarantineDirectory)/0123456789abcdef0123456789abcdef.json"))
        #expect(reopened.contains(good.id))
    }

    @Test func mismatchedFileNameIsQuarantined() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let report = makeReport(1)
        try queue.save(report)
        try FileManager.default.moveItem(
            atPath: queue.path(report.id), toPath: "\(queue.reportsDirectory)/feed.json")
        let reopened = try ReportQueue(stateDirectory: state.path)
        #expect(reopened.quarantined.count == 1)
        #expect(reopened.entries().isEmpty)
    }

    @Test func readOnlyOpenChangesNothing() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let bad = "\(queue.reportsDirectory)/00.json"
        let temporary = "\(queue.reportsDirectory)/.00.json.1.tmp"
        try Data("x".utf8).write(to: URL(fileURLWithPath: bad))
        try Data("x".utf8).write(to: URL(fileURLWithPath: temporary))
        let reader = try ReportQueue(stateDirectory: state.path, repair: false)
        #expect(reader.quarantined.isEmpty)
        #expect(FileManager.default.fileExists(atPath: bad))
        #expect(FileManager.default.fileExists(atPath: temporary))
    }

    @Test func updateAfterRemoveWritesNothing() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let report = makeReport(1)
        try queue.save(report)
        try queue.remove(report.id)
        #expect(try !queue.update(report))
        #expect(!FileManager.default.fileExists(atPath: queue.path(report.id)))
    }

    @Test func limitsEvictDoneThenDeadThenPendingOldestFirst() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let reports = [
            makeReport(1, state: .queued, createdAt: 100),
            makeReport(2, state: .dead, createdAt: 300),
            makeReport(3, state: .done, createdAt: 400),
            makeReport(4, state: .queued, createdAt: 200),
            makeReport(5, state: .dead, createdAt: 150),
        ]
        for report in reports { try queue.save(report) }
        var limits = QueueLimits()
        limits.maximumReports = 1

        let evicted = queue.enforce(limits, now: 500)

        #expect(evicted.map(\.id) == [3, 5, 2, 1].map { reports[$0 - 1].id })
        #expect(evicted.allSatisfy { $0.reason == .maximumReports })
        #expect(queue.entries().keys.sorted() == [reports[3].id])
    }

    @Test func limitsKeepReportsInFlight() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let old = makeReport(1, createdAt: 100)
        let new = makeReport(2, createdAt: 200)
        try queue.save(old)
        try queue.save(new)
        var limits = QueueLimits()
        limits.maximumReports = 1
        let evicted = queue.enforce(limits, now: 300, keep: [old.id])
        #expect(evicted.map(\.id) == [new.id])
    }

    @Test func limitsEvictByBytes() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        for number in 1...4 { try queue.save(makeReport(number, createdAt: Double(number))) }
        let size = try #require(queue.entries().values.map(\.bytes).max())
        var limits = QueueLimits()
        limits.maximumBytes = size * 2 + 1
        let evicted = queue.enforce(limits, now: 10)
        #expect(evicted.count == 2)
        #expect(evicted.allSatisfy { $0.reason == .maximumBytes })
        #expect(evicted.map(\.id) == [makeReport(1).id, makeReport(2).id])
    }

    @Test func limitsEvictByAgeAndDeadRetention() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let old = makeReport(1, createdAt: 0)
        var dead = makeReport(2, state: .dead, createdAt: 900)
        dead.updatedAt = 900
        let fresh = makeReport(3, createdAt: 950)
        for report in [old, dead, fresh] { try queue.save(report) }
        var limits = QueueLimits()
        limits.maximumAge = 500
        limits.deadRetention = 50
        let evicted = queue.enforce(limits, now: 1000).sorted { $0.id < $1.id }
        let expected = [
            Eviction(id: old.id, state: .queued, reason: .maximumAge),
            Eviction(id: dead.id, state: .dead, reason: .deadRetention),
        ].sorted { $0.id < $1.id }
        #expect(evicted == expected)
        #expect(queue.contains(fresh.id))
    }

    @Test func limitsDropAttachmentsBeforeReports() throws {
        final class Attachments: AttachmentEvicting, @unchecked Sendable {
            var stored = 1000
            func storedBytes() -> Int { stored }
            func evictOldest(freeing bytes: Int) -> Int {
                let freed = min(bytes, stored)
                stored -= freed
                return freed
            }
        }
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        try queue.save(makeReport(1))
        let attachments = Attachments()
        var limits = QueueLimits()
        limits.maximumBytes = queue.entries().values.map(\.bytes).reduce(0, +) + 100
        #expect(queue.enforce(limits, now: 2000, attachments: attachments).isEmpty)
        #expect(attachments.stored == 100)
    }

    @Test func retryRequestRevivesDeadReport() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        var report = makeReport(1, state: .dead)
        report.attempts = 3
        report.nextAttemptAt = 9999
        try queue.save(report)
        let changed = try queue.apply(QueueRequest(action: .retry, id: report.id), now: 50)
        #expect(changed.map(\.state) == [.queued])
        let reloaded = try queue.load(report.id)
        #expect(reloaded.state == .queued)
        #expect(reloaded.nextAttemptAt == 50)
        #expect(reloaded.attempts == 0)
    }

    @Test func retryRequestRejectsDoneAndUnknown() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        let done = makeReport(1, state: .done)
        try queue.save(done)
        #expect(throws: QueueRequestError.self) {
            try queue.apply(QueueRequest(action: .retry, id: done.id), now: 0)
        }
        #expect(throws: QueueRequestError.self) {
            try queue.apply(QueueRequest(action: .drop, id: "abc"), now: 0)
        }
    }

    @Test func submittedRequestsAreTakenOnce() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        _ = try queue.submit(QueueRequest(action: .drop, id: "ab"))
        _ = try queue.submit(QueueRequest(action: .retryDead))
        let taken = queue.takeRequests().compactMap { try? $0.get() }
        #expect(Set(taken.map(\.action)) == [.drop, .retryDead])
        #expect(queue.takeRequests().isEmpty)
    }

    @Test func stateLockIsExclusive() throws {
        let state = StateDirectory()
        try FileManager.default.createDirectory(
            atPath: state.path, withIntermediateDirectories: true)
        let first = try StateLock.acquire(stateDirectory: state.path)
        #expect(first != nil)
        #expect(try StateLock.acquire(stateDirectory: state.path) == nil)
        withExtendedLifetime(first) {}
    }
}
