import Foundation
import Testing

/// A coredump entry written to a private journald becomes a sandbox ticket through
/// `crashfwd run`.
extension JournalTests {
    @Suite(.serialized)
    struct JournalEndToEndTests {
        static func config(sandbox: SandboxServer, journald: PrivateJournald) -> String {
            """
            state_directory: TEST_DIR/state
            log_level: debug
            watch:
              journal:
                directory: \(journald.journalDirectory)
                start_at: boot
            detect:
              destination: sandbox
              matchers:
                - name: coredump
                  journal_match: ["MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1"]
            delivery:
              startup_delay: 0s
              initial_backoff: 50ms
              maximum_backoff: 500ms
            destinations:
              sandbox:
                url: \(sandbox.baseURL)
                allow_http: true
                project: acme-beta-2
                source: appcrashlog
                api_key_env: CENTERCODE_API_KEY
                parameters:
                  submitter: qa-bot@example.com
                  summary: "{{journal.COREDUMP_EXE}} crashed with {{journal.COREDUMP_SIGNAL_NAME}}"
                  description: "pid {{journal.COREDUMP_PID}}\\n{{block}}"
            """
        }

        @Test func coredumpEntryBecomesTicket() throws {
            let journald = try PrivateJournald()
            let sandbox = try SandboxServer()
            let crashfwd = try CrashfwdProcess(
                config: Self.config(sandbox: sandbox, journald: journald))
            // Written before crashfwd starts: start_at boot must still find it.
            try journald.send(fields: coredumpEntry(pid: 3131))
            try crashfwd.start()
            try journald.send(fields: testEntry("noise", 1, priority: 3))
            try journald.send(fields: coredumpEntry(pid: 3232))

            try waitUntil("two tickets exist") { try sandbox.tickets().count >= 2 }
            #expect(crashfwd.stop() == 0)
            let tickets = try sandbox.tickets().sorted { $0.id < $1.id }
            #expect(tickets.count == 2)
            #expect(tickets.first?.parameter("summary") == "/usr/bin/demo-app crashed with SIGSEGV")
            let description = try #require(tickets.first?.parameter("description"))
            #expect(description.hasPrefix("pid 3131\n"))
            #expect(description.contains("#2  0x000055d1c3e4a1b9 parse_header (demo-app + 0x11b9)"))
            #expect(tickets.last?.parameter("description")?.hasPrefix("pid 3232\n") == true)

            // A restart resumes at the saved cursor and creates no new ticket.
            try crashfwd.start()
            try journald.send(fields: coredumpEntry(pid: 3333))
            try waitUntil("the third ticket exists") { try sandbox.tickets().count >= 3 }
            crashfwd.stop()
            #expect(try sandbox.tickets().count == 3)
        }

        /// The daemon follows the journal while journald rotates it and vacuum deletes the
        /// archived file, and still tickets the crashes written before and after. It runs as a
        /// child process, so a SIGBUS in libsystemd fails this test instead of the test run.
        @Test func daemonSurvivesRotateAndVacuum() throws {
            let journald = try PrivateJournald()
            let sandbox = try SandboxServer()
            let crashfwd = try CrashfwdProcess(
                config: Self.config(sandbox: sandbox, journald: journald))
            try crashfwd.start()
            for round in 0..<3 {
                for number in 0..<200 {
                    try journald.send(fields: testEntry("bulk", round * 1000 + number, priority: 3))
                }
                try journald.send(fields: coredumpEntry(pid: 4000 + round))
                try waitUntil("ticket \(round + 1) exists") {
                    try sandbox.tickets().count >= round + 1
                }
                try journald.rotate()
                try journald.vacuum()
                #expect(
                    crashfwd.isRunning,
                    "crashfwd exited during rotation or vacuum:\n\(crashfwd.log)")
            }
            try journald.send(fields: coredumpEntry(pid: 4999))
            try waitUntil("the crash after the last vacuum is ticketed") {
                try sandbox.tickets().count >= 4
            }
            #expect(crashfwd.isRunning)
            #expect(crashfwd.stop() == 0)
        }
    }
}
