import Foundation
import Testing

/// The whole path through the real binaries: lines appended to a file become tickets in
/// the sandbox over HTTP on 127.0.0.1.
@Suite(.serialized)
struct EndToEndTests {
    @Test func crashLinesBecomeTickets() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: CrashfwdProcess.config(sandbox: sandbox))
        try crashfwd.start()
        try crashfwd.append([
            "Dec  4 10:00:01 rig01 systemd[1]: Started Session 3 of user qa.",
            CrashfwdProcess.segfaultLine(pid: 4101),
            "Dec  4 10:00:03 rig01 sensord[901]: temperature ok",
            CrashfwdProcess.segfaultLine(program: "media-indexer", pid: 4102),
        ])

        try waitUntil("two tickets exist") { try sandbox.tickets().count >= 2 }
        let tickets = try sandbox.tickets().sorted { $0.id < $1.id }
        #expect(tickets.count == 2)
        #expect(tickets[0].parameter("summary") == "camera-daemon crashed with SIGSEGV")
        #expect(tickets[0].parameter("severity") == "Critical")
        #expect(tickets[0].parameter("submitter") == "qa-bot@example.com")
        #expect(
            tickets[0].parameter("description")?.contains("camera-daemon[4101]: segfault") == true)
        #expect(tickets[1].parameter("summary") == "media-indexer crashed with SIGSEGV")
        #expect(crashfwd.stop() == 0)
    }

    @Test func ordinaryLinesCreateNothing() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: CrashfwdProcess.config(sandbox: sandbox))
        try crashfwd.start()
        try crashfwd.append([
            "Dec  4 10:00:01 rig01 updater[1203]: error count 0, no panic: segfault handler installed",
            "Dec  4 10:00:02 rig01 app[77]: exception handler ready",
        ])
        // A crash line after the ordinary ones proves the ordinary ones were read.
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 4201)])
        try waitUntil("the crash after the ordinary lines is ticketed") {
            try sandbox.tickets().count >= 1
        }
        crashfwd.stop()
        #expect(try sandbox.tickets().count == 1)
        #expect(try sandbox.tickets().first?.parameter("description")?.contains("[4201]") == true)
    }

    @Test func restartTicketsEachCrashOnce() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: CrashfwdProcess.config(sandbox: sandbox))
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 5001)])
        try waitUntil("the first ticket exists") { try sandbox.tickets().count == 1 }
        #expect(crashfwd.stop() == 0)

        try crashfwd.append([
            CrashfwdProcess.segfaultLine(pid: 5002), CrashfwdProcess.segfaultLine(pid: 5003),
        ])
        try crashfwd.start()
        try waitUntil("three tickets exist") { try sandbox.tickets().count >= 3 }
        crashfwd.stop()
        try crashfwd.start()
        crashfwd.stop()

        let pids = try sandbox.tickets().compactMap { $0.parameter("description") }
            .compactMap { $0.firstMatch(of: /\[(\d+)\]: segfault/)?.1 }.map(String.init).sorted()
        #expect(pids == ["5001", "5002", "5003"])
    }

    @Test func outageKeepsReportQueued() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: CrashfwdProcess.config(sandbox: sandbox))
        try crashfwd.start()
        sandbox.stop()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 6001)])
        try waitUntil("a delivery attempt fails") {
            crashfwd.log.contains("delivery failed, will retry")
        }
        let listing = try crashfwd.command(["queue", "list", "--json"])
        #expect(listing.output.contains("\"state\" : \"queued\""))

        try sandbox.restart()
        try waitUntil("the queued report is delivered after the outage") {
            try sandbox.tickets().count == 1
        }
        crashfwd.stop()
        #expect(try sandbox.tickets().first?.parameter("description")?.contains("[6001]") == true)
    }

    @Test func rejectedSubmitterIsNotRetried() throws {
        let sandbox = try SandboxServer()
        let config = CrashfwdProcess.config(sandbox: sandbox)
            .replacingOccurrences(
                of: "submitter: qa-bot@example.com", with: "submitter: stranger@example.com")
        let crashfwd = try CrashfwdProcess(config: config)
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 7001)])
        try waitUntil("the report is rejected") {
            crashfwd.log.contains("report rejected by the server")
        }
        // Give a retrying client time to try again; none of these requests may follow.
        usleep(800_000)
        crashfwd.stop()

        let creates = try sandbox.requests().filter { $0.path.contains("/feedback/") }
        #expect(creates.count == 1)
        #expect(creates.first?.status == 400)
        #expect(crashfwd.log.contains("stranger@example.com"))
        let listing = try crashfwd.command(["queue", "list", "--json"])
        #expect(listing.output.contains("\"state\" : \"dead\""))
        #expect(try sandbox.tickets().isEmpty)
    }

    @Test func apiKeyNeverLogged() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: CrashfwdProcess.config(sandbox: sandbox))
        try crashfwd.start()
        sandbox.stop()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 8001)])
        try waitUntil("a delivery attempt fails") { crashfwd.log.contains("delivery failed") }
        try sandbox.restart()
        try waitUntil("the ticket is created") { try sandbox.tickets().count == 1 }
        crashfwd.stop()

        #expect(!crashfwd.log.contains(SandboxServer.defaultAPIKey))
        let stateFiles =
            FileManager.default.enumerator(atPath: crashfwd.stateDirectory)?
            .compactMap { $0 as? String } ?? []
        for file in stateFiles {
            let text =
                (try? String(contentsOfFile: "\(crashfwd.stateDirectory)/\(file)", encoding: .utf8))
                ?? ""
            #expect(!text.contains(SandboxServer.defaultAPIKey), "API key found in \(file)")
        }
    }
}
