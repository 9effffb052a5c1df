import Foundation
import Testing

/// The excerpt of a journal crash: `crashfwd run` reads the crashed unit's entries around a
/// coredump entry from a private journald and uploads them to the sandbox ticket.
///
/// journald sets `_SYSTEMD_UNIT` itself from the sender's cgroup, so a test cannot write it.
/// The unit's entries are sent with the client field `UNIT=`, which systemd uses for its own
/// messages about a unit and which the excerpt selects together with `_SYSTEMD_UNIT` and
/// `COREDUMP_UNIT`.
extension JournalTests {
    @Suite(.serialized)
    struct JournalExcerptTests {
        static func config(sandbox: SandboxServer, journald: PrivateJournald) -> String {
            """
            state_directory: TEST_DIR/state
            log_level: debug
            watch:
              journal:
                directory: \(journald.journalDirectory)
                start_at: boot
            attach:
              journal_excerpt_window: 2s
            detect:
              destination: sandbox
              matchers:
                - name: coredump
                  journal_match: ["MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1"]
                  attachments:
                    - element: logs
                      excerpt: true
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
                  summary: "{{journal.COREDUMP_EXE}} crashed"
            """
        }

        static func unitEntry(_ unit: String, _ message: String) -> [String: String] {
            [
                "MESSAGE": message, "UNIT": unit, "SYSLOG_IDENTIFIER": "demo-app",
                "SYSLOG_PID": "5151", "PRIORITY": "6",
            ]
        }

        @Test func excerptContainsUnitEntries() throws {
            let journald = try PrivateJournald()
            let sandbox = try SandboxServer()
            let crashfwd = try CrashfwdProcess(
                config: Self.config(sandbox: sandbox, journald: journald))
            try crashfwd.start()

            // Older than the 2 s window before the crash.
            try journald.send(fields: Self.unitEntry("demo-app.service", "stale entry"))
            usleep(3_000_000)
            for number in 1...3 {
                try journald.send(
                    fields: Self.unitEntry("demo-app.service", "loading part \(number)"))
            }
            try journald.send(fields: Self.unitEntry("other.service", "entry of another unit"))
            var crash = coredumpEntry(pid: 5151)
            crash["COREDUMP_UNIT"] = "demo-app.service"
            try journald.send(fields: crash)

            var ticket: SandboxTicket?
            try waitUntil("a ticket with the excerpt attached") {
                ticket = try sandbox.tickets().first
                return ticket?.attachments.count == 1
            }
            #expect(crashfwd.stop() == 0)
            let received = try #require(ticket)
            let attachment = try #require(received.attachments.first)
            #expect(attachment.element == "logs")
            #expect(attachment.name == "coredump-excerpt.log.gz")
            let stored = "\(sandbox.dataPath)/files/\(received.id)/logs/\(attachment.name)"
            #expect(try HTTPClient.sha256(ofFile: stored) == attachment.sha256)

            let text = String(decoding: try AttachHarness.gunzip(stored), as: UTF8.self)
            #expect(text.hasPrefix("# crashfwd journal excerpt: entries of unit demo-app.service"))
            for number in 1...3 {
                #expect(text.contains(" demo-app[5151]: loading part \(number)\n"))
            }
            #expect(
                text.contains(" systemd-coredump["))
            #expect(text.contains("]: Process 5151 (demo-app) of user 0 dumped core.\n\n"))
            #expect(!text.contains("entry of another unit"))
            #expect(!text.contains("stale entry"))
            #expect(!text.contains("# cut:"))
            #expect(!text.contains("cannot read the journal"))
            let first = try #require(text.split(separator: "\n").first { !$0.hasPrefix("#") })
            #expect(
                first.wholeMatch(
                    of:
                        /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 \S+ demo-app\[5151\]: loading part 1/
                ) != nil)
        }
    }
}
