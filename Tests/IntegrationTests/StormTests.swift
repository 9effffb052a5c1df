import Foundation
import Testing

/// A scaled-down crash storm: thousands of crashes of one program and a few of others,
/// written at once, with `detect.folding` on. Checks correctness only: tickets stay within
/// the folding budget, summary occurrence counts add up to what was written, and the daemon
/// keeps running.
@Suite(.serialized)
struct StormTests {
    static let stormCrashes = 5000
    static let otherPrograms = ["media-indexer", "sensord", "updater"]
    static let otherCrashes = 3
    static let budget = 10

    @Test func stormFoldsWithExactCounts() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: Self.config(sandbox: sandbox))
        try crashfwd.start()

        var lines: [String] = []
        for index in 0..<Self.stormCrashes {
            lines.append(CrashfwdProcess.segfaultLine(pid: 10_000 + index))
        }
        for (offset, program) in Self.otherPrograms.enumerated() {
            for index in 0..<Self.otherCrashes {
                lines.insert(
                    CrashfwdProcess.segfaultLine(
                        program: program, pid: 50_000 + offset * 100 + index),
                    at: (index + 1) * 1000 + offset)
            }
        }
        // Appends in chunks, as a logging process would, rather than one huge write.
        for start in stride(from: 0, to: lines.count, by: 500) {
            try crashfwd.append(Array(lines[start..<min(start + 500, lines.count)]))
        }

        var written = ["camera-daemon": Self.stormCrashes]
        for program in Self.otherPrograms { written[program] = Self.otherCrashes }
        // One first report and one summary per program once its 3 s window has closed.
        try waitUntil("a first report and a summary for every program", timeout: 60) {
            try sandbox.tickets().count >= 2 * written.count
        }
        usleep(1_000_000)
        #expect(crashfwd.isRunning, "crashfwd exited:\n\(crashfwd.log)")

        let tickets = try sandbox.tickets()
        var firstReports: [String: Int] = [:]
        var occurrences: [String: Int] = [:]
        for ticket in tickets {
            let description = ticket.parameter("description") ?? ""
            guard let program = description.firstMatch(of: /: ([\w.-]+)\[\d+\]: segfault/)?.1 else {
                Issue.record("ticket \(ticket.id) names no crashed program: \(description)")
                continue
            }
            if let count = description.firstMatch(of: /^occurrences=(\d+)\s/)?.1 {
                occurrences[String(program), default: 0] += Int(count) ?? 0
            } else {
                firstReports[String(program), default: 0] += 1
            }
        }
        #expect(firstReports.values.reduce(0, +) <= Self.budget)
        for (program, count) in written {
            #expect(firstReports[program] == 1, "first reports of \(program): \(firstReports)")
            let counted = (firstReports[program] ?? 0) + (occurrences[program] ?? 0)
            #expect(counted == count, "\(program): \(counted) counted, \(count) written")
        }
        #expect(tickets.count == 2 * written.count)
        #expect(crashfwd.stop() == 0)
    }

    /// Follows TEST_DIR/app.log with folding in 3 s windows; a summary's description starts
    /// with its occurrence count, and a first report's with "occurrences= ".
    static func config(sandbox: SandboxServer) -> String {
        """
        state_directory: TEST_DIR/state
        log_level: info
        watch:
          files:
            - path: TEST_DIR/app.log
              start_at: beginning
        detect:
          destination: sandbox
          folding:
            window: 3s
            summary: true
            max_tickets_per_hour: \(budget)
          matchers:
        \(CrashfwdProcess.segfaultMatcher)
        delivery:
          startup_delay: 0s
          initial_backoff: 50ms
          maximum_backoff: 500ms
          rate_limit: 0
        destinations:
          sandbox:
            url: \(sandbox.baseURL)
            allow_http: true
            project: acme-beta-2
            source: appcrashlog
            api_key_env: CENTERCODE_API_KEY
            parameters:
              submitter: qa-bot@example.com
              summary: "{{program}} crashed with {{signal}}"
              description: "occurrences={{occurrences}} {{context}}"
        """
    }
}
