import CrashfwdCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct DetectFoldingTests {
    private let start = 1_780_000_000.0

    private func crash(_ id: Int, fingerprint: String = "f00d") -> Detection {
        Detection(
            matcher: "segfault", destination: "beta", source: "file:/var/log/syslog",
            captures: ["kind": "segfault", "program": "myapp"],
            lines: ["myapp[\(id)]: segfault at 0"],
            fingerprint: fingerprint, firstRecordID: "1:2:\(id)", timestamp: UInt64(id))
    }

    private func makeStateDirectory() throws -> String {
        var template = Array("/tmp/crashfwd-folding-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw FoldingTestError.noTemporaryDirectory }
        return String(cString: path)
    }

    enum FoldingTestError: Error { case noTemporaryDirectory }

    private let config = FoldingConfig(
        enabled: true, window: 600, summary: true, maxTicketsPerHour: 60)

    @Test func crashLoopBecomesOneTicketAndSummary() {
        let folder = CrashFolder(config: config, stateDirectory: nil)
        var decisions: [CrashFolder.Decision] = []
        for index in 0..<1000 {
            decisions.append(folder.admit(crash(index), now: start + Double(index) * 0.06))
        }
        #expect(decisions.filter { $0 == .report }.count == 1)
        #expect(decisions.first == .report)
        #expect(folder.expired(now: start + 599).isEmpty)
        let summaries = folder.expired(now: start + 600)
        try? #require(summaries.count == 1)
        #expect(summaries.first?.captures["occurrences"] == "999")
        #expect(summaries.first?.captures["summary"] == "true")
        #expect(summaries.first?.captures["first_seen"] != nil)
        #expect(summaries.first?.captures["last_seen"] != nil)
        #expect(summaries.first?.reportID != crash(0).reportID)
        #expect(folder.nextDeadline == nil)
    }

    @Test func foldingStateSurvivesReload() throws {
        let directory = try makeStateDirectory()
        let first = CrashFolder(config: config, stateDirectory: directory)
        #expect(first.admit(crash(0), now: start) == .report)
        for index in 1..<500 { _ = first.admit(crash(index), now: start + Double(index) * 0.06) }
        try first.save()

        let second = CrashFolder(config: config, stateDirectory: directory)
        #expect(second.loadProblem == nil)
        for index in 500..<1000 {
            #expect(second.admit(crash(index), now: start + Double(index) * 0.06) == .folded)
        }
        #expect(second.nextDeadline == start + 600)
        let summaries = second.expired(now: start + 601)
        #expect(summaries.map { $0.captures["occurrences"] } == ["999"])
        unlink("\(directory)/folding.json")
        rmdir(directory)
    }

    @Test func singleCrashHasNoSummary() {
        let folder = CrashFolder(config: config, stateDirectory: nil)
        #expect(folder.admit(crash(1), now: start) == .report)
        #expect(folder.expired(now: start + 700).isEmpty)
        #expect(folder.admit(crash(2), now: start + 701) == .report)
    }

    @Test func budgetFoldsCrashesOverHourlyLimit() {
        let limited = FoldingConfig(enabled: true, window: 600, summary: true, maxTicketsPerHour: 3)
        let folder = CrashFolder(config: limited, stateDirectory: nil)
        let decisions = (0..<5).map { index in
            folder.admit(crash(index, fingerprint: "f\(index)"), now: start + Double(index))
        }
        #expect(decisions == [.report, .report, .report, .folded, .folded])
        #expect(folder.overflowCount == 2)
        #expect(folder.admit(crash(9, fingerprint: "f9"), now: start + 3601) == .report)
    }

    @Test func disabledFoldingReportsEverything() {
        let folder = CrashFolder(config: FoldingConfig(), stateDirectory: nil)
        #expect(folder.admit(crash(1), now: start) == .report)
        #expect(folder.admit(crash(2), now: start + 1) == .report)
        #expect(folder.expired(now: start + 10_000).isEmpty)
    }
}
