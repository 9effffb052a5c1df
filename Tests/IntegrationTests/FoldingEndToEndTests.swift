import Foundation
import Testing

/// A crash loop through the real daemon: the first crash is ticketed at once, the repeats
/// are counted, and one summary ticket gives their number.
@Suite struct FoldingEndToEndTests {
    @Test func crashLoopGivesTicketAndSummary() throws {
        let sandbox = try SandboxServer()
        let config = CrashfwdProcess.config(sandbox: sandbox)
            .replacingOccurrences(
                of: "detect:\n  destination: sandbox\n",
                with:
                    "detect:\n  destination: sandbox\n  folding: {window: 3s, summary: true, max_tickets_per_hour: 100}\n"
            )
            .replacingOccurrences(
                of: "description: \"{{context}}\"",
                with: "description: \"{{context}} repeats={{occurrences | default: none}}\"")
        let crashfwd = try CrashfwdProcess(config: config)
        try crashfwd.start()
        let lines = (0..<1000).map { CrashfwdProcess.segfaultLine(pid: 20_000 + $0) }
        try crashfwd.append(lines)

        try waitUntil("the first ticket and the summary exist", timeout: 40) {
            try sandbox.tickets().count >= 2
        }
        usleep(500_000)
        crashfwd.stop()

        let tickets = try sandbox.tickets().sorted { $0.id < $1.id }
        #expect(tickets.count == 2)
        #expect(tickets.first?.parameter("description")?.contains("repeats=none") == true)
        #expect(tickets.last?.parameter("description")?.contains("repeats=999") == true)
    }
}
