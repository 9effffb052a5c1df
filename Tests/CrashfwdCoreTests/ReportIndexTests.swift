import Foundation
import Testing

@testable import CrashfwdCore

/// Makes a report with a chosen id, state and times, for index tests.
func makeIndexedReport(
    _ id: String, state: Report.State = .queued, createdAt: Double = 0,
    nextAttemptAt: Double = 0, destination: String = "sandbox"
) -> Report {
    let detection = Detection(
        matcher: "segfault", destination: destination, source: "file:/var/log/app.log",
        captures: [:], lines: ["app[1]: segfault"], firstRecordID: id, timestamp: 0)
    var report = Report(
        id: id, destination: destination, detection: detection, body: "{}", now: createdAt)
    report.state = state
    report.nextAttemptAt = nextAttemptAt
    return report
}

@Suite struct ReportIndexTests {
    @Test(arguments: [
        "0", "f", "0123456789abcdef", "00000000000000000000000000000000",
        String(repeating: "f", count: 32), "d41d8cd98f00b204e9800998ecf8427e",
    ])
    func hexKeyRoundTrips(id: String) {
        let key = ReportKey(id)
        guard case .hex = key else {
            Issue.record("\(id) was not packed")
            return
        }
        #expect(key.id == id)
        #expect(ReportKey(key.id) == key)
    }

    @Test(arguments: ["", "ABCDEF", "ab-cd", "record-1", String(repeating: "a", count: 33)])
    func otherIDsStayText(id: String) {
        #expect(ReportKey(id) == .text(id))
        #expect(ReportKey(id).id == id)
    }

    @Test func keysWithSharedPrefixDiffer() {
        #expect(ReportKey("ab") != ReportKey("ab0"))
        #expect(ReportKey("0") != ReportKey("00"))
    }

    @Test func keyOrderMatchesStringOrder() {
        var generator = SeededGenerator(state: 7)
        let digits = Array("0123456789abcdef")
        var ids = ["0", "00", "ab", "ab0", "ab1", "abf", "b", "A", "a-b", "zz"]
        for _ in 0..<200 {
            let length = Int.random(in: 1...40, using: &generator)
            ids.append(String((0..<length).map { _ in digits.randomElement(using: &generator)! }))
        }
        for left in ids {
            for right in ids {
                #expect(
                    ReportKey.precedes(ReportKey(left), ReportKey(right)) == (left < right),
                    "\(left) < \(right)")
            }
        }
    }

    /// The index stores one record per report, plus two to four 4-byte buckets.
    @Test func recordStaysSmall() {
        #expect(MemoryLayout<ReportIndex.Record>.stride <= 56)
    }

    @Test func storeReplacesAndRemoveForgets() {
        var index = ReportIndex()
        index.store(makeIndexedReport("aa", state: .queued), bytes: 10)
        index.store(makeIndexedReport("bb", state: .queued), bytes: 20)
        index.store(makeIndexedReport("aa", state: .done), bytes: 30)
        #expect(index.count == 2)
        let position = index.position(of: ReportKey("aa"))
        #expect(position.map { index.entry(at: $0).state } == .done)
        #expect(position.map { index.entry(at: $0).bytes } == 30)

        let removed = index.remove(ReportKey("aa"))
        let removedAgain = index.remove(ReportKey("aa"))
        #expect(removed)
        #expect(!removedAgain)
        #expect(index.position(of: ReportKey("aa")) == nil)
        #expect(index.position(of: ReportKey("bb")).map { index.entry(at: $0).bytes } == 20)
    }

    /// Random stores and removals, checked after each step against a dictionary.
    @Test func matchesDictionaryUnderChurn() {
        var generator = SeededGenerator(state: 42)
        var index = ReportIndex()
        var expected: [String: ReportQueue.Entry] = [:]
        let states = Report.State.allCases
        // Few distinct ids, so removals and replacements hit ids that are present.
        let ids = (0..<300).map { String(format: "%032x", $0 &* 2_654_435_761) }
        for step in 0..<5000 {
            let id = ids.randomElement(using: &generator)!
            if Bool.random(using: &generator) {
                let report = makeIndexedReport(
                    id, state: states.randomElement(using: &generator)!,
                    createdAt: Double(step), nextAttemptAt: Double(step % 17),
                    destination: ["one", "two", "three"].randomElement(using: &generator)!)
                index.store(report, bytes: step)
                expected[id] = ReportQueue.Entry(
                    state: report.state, destination: report.destination,
                    nextAttemptAt: report.nextAttemptAt, createdAt: report.createdAt,
                    updatedAt: report.updatedAt, bytes: step)
            } else {
                let wasIndexed = expected.removeValue(forKey: id) != nil
                let removed = index.remove(ReportKey(id))
                #expect(removed == wasIndexed, "\(id)")
            }
        }
        #expect(index.count == expected.count)
        for id in ids {
            let entry = index.position(of: ReportKey(id)).map { index.entry(at: $0) }
            #expect(entry == expected[id], "\(id)")
        }
    }

    @Test func dueOrdersOldestFirstThenByID() {
        var index = ReportIndex()
        index.store(makeIndexedReport("cc", createdAt: 5), bytes: 1)
        index.store(makeIndexedReport("bb", createdAt: 5), bytes: 1)
        index.store(makeIndexedReport("ff", createdAt: 1), bytes: 1)
        index.store(makeIndexedReport("aa", state: .created, createdAt: 9), bytes: 1)
        #expect(index.due(now: 10, limit: 100) == ["ff", "bb", "cc", "aa"])
        #expect(index.due(now: 10, limit: 2) == ["ff", "bb"])
        #expect(index.due(now: 10, limit: 0).isEmpty)
    }

    @Test func dueSkipsFinishedAndLaterReports() {
        var index = ReportIndex()
        index.store(makeIndexedReport("a1", state: .done), bytes: 1)
        index.store(makeIndexedReport("a2", state: .dead), bytes: 1)
        index.store(makeIndexedReport("a3", createdAt: 1, nextAttemptAt: 50), bytes: 1)
        index.store(makeIndexedReport("a4", createdAt: 2, nextAttemptAt: 10), bytes: 1)
        #expect(index.due(now: 10, limit: 100) == ["a4"])
        #expect(index.due(now: 50, limit: 100) == ["a3", "a4"])
    }

    @Test func dueMatchesFullSortWithLimit() {
        var generator = SeededGenerator(state: 3)
        var index = ReportIndex()
        var reports: [Report] = []
        for number in 0..<2000 {
            let report = makeIndexedReport(
                String(format: "%032x", number &* 40503),
                state: [.queued, .created, .done].randomElement(using: &generator)!,
                createdAt: Double(Int.random(in: 0..<300, using: &generator)),
                nextAttemptAt: Double(Int.random(in: 0..<20, using: &generator)))
            reports.append(report)
            index.store(report, bytes: 1)
        }
        let expected =
            reports
            .filter { $0.isPending && $0.nextAttemptAt <= 10 }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            .map(\.id)
        #expect(index.due(now: 10, limit: 100) == Array(expected.prefix(100)))
        #expect(index.due(now: 10, limit: 100_000) == expected)
    }

    @Test func earliestAttemptSkipsAndWaits() {
        var index = ReportIndex()
        index.store(makeIndexedReport("a1", nextAttemptAt: 5, destination: "one"), bytes: 1)
        index.store(makeIndexedReport("a2", nextAttemptAt: 8, destination: "two"), bytes: 1)
        index.store(
            makeIndexedReport("a3", state: .done, nextAttemptAt: 1, destination: "two"), bytes: 1)
        #expect(index.earliestAttempt(skipping: [], notBefore: [:]) == 5)
        #expect(index.earliestAttempt(skipping: [ReportKey("a1")], notBefore: [:]) == 8)
        #expect(index.earliestAttempt(skipping: [], notBefore: ["one": 20]) == 8)
        #expect(index.earliestAttempt(skipping: [], notBefore: ["one": 20, "two": 30]) == 20)
        #expect(
            index.earliestAttempt(skipping: [ReportKey("a1"), ReportKey("a2")], notBefore: [:])
                == nil)
    }

    @Test func queueIndexesInterruptedCreates() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        var interrupted = makeReport(1)
        interrupted.createRequestSentAt = 5
        try queue.save(interrupted)
        try queue.save(makeReport(2))
        #expect(queue.interruptedCreateIDs() == [interrupted.id])
        let reopened = try ReportQueue(stateDirectory: state.path)
        #expect(reopened.interruptedCreateIDs() == [interrupted.id])
        interrupted.createRequestSentAt = nil
        try reopened.save(interrupted)
        #expect(reopened.interruptedCreateIDs().isEmpty)
    }

    @Test func queueCountsAndTotals() throws {
        let state = StateDirectory()
        let queue = try ReportQueue(stateDirectory: state.path)
        try queue.save(makeReport(1, state: .queued, createdAt: 30))
        try queue.save(makeReport(2, state: .created, createdAt: 20))
        try queue.save(makeReport(3, state: .done, createdAt: 10))
        let (counts, oldest) = queue.stateCounts()
        #expect(counts == [.queued: 1, .created: 1, .done: 1])
        #expect(oldest == 20)
        let totals = queue.totals()
        #expect(totals.count == 3)
        #expect(totals.bytes == queue.entries().values.map(\.bytes).reduce(0, +))
        #expect(queue.entry(makeReport(3).id)?.state == .done)
        #expect(queue.entry("ab") == nil)
    }
}
