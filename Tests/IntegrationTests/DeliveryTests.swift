import Foundation
import Testing

/// The retry policy, pauses, rejections, quarantine and queue commands, each run through
/// the real `crashfwd` binary against the real sandbox.
@Suite struct DeliveryTests {
    /// Starts a daemon, appends crashes with the given pids, and returns it running.
    func startDaemon(
        _ sandbox: SandboxServer, pids: [Int], apiKey: String = SandboxServer.defaultAPIKey,
        submitter: String = "qa-bot@example.com", timeout: String = "5s"
    ) throws -> CrashfwdDaemon {
        let daemon = try CrashfwdDaemon(
            sandbox: sandbox, apiKey: apiKey, submitter: submitter, timeout: timeout)
        for pid in pids { try daemon.appendCrash(pid: pid) }
        try daemon.start()
        return daemon
    }

    func faultRule(status: Int, times: Int, retryAfter: String? = nil) -> String {
        let header = retryAfter.map { #", "retryAfter": "\#($0)""# } ?? ""
        return
            #"[{"method": "POST", "pathContains": "/feedback/", "times": \#(times), "status": \#(status)\#(header)}]"#
    }

    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func transientStatusIsRetried(status: Int) throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(faultRule(status: status, times: 2))
        let daemon = try startDaemon(sandbox, pids: [101])

        #expect(try pollUntil { try sandbox.ticketPids() == [101] }, "\(daemon.output)")
        #expect(try pollUntil { try daemon.states()["done"]?.count == 1 })
        #expect(try sandbox.createRequests(status: status).count == 2)
        #expect(try sandbox.createRequests().count == 3)
        #expect(daemon.logLines(containing: "will retry", "HTTP_STATUS=\(status)").count == 2)
    }

    @Test(arguments: ["close-before-response", "accept-then-drop"])
    func droppedConnectionIsRetried(action: String) throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/feedback/", "action": "\#(action)"}]"#)
        let daemon = try startDaemon(sandbox, pids: [102])

        #expect(try pollUntil { try daemon.states()["done"]?.count == 1 }, "\(daemon.output)")
        let lines = daemon.logLines(containing: "will retry", "ATTEMPT=1")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("curl error") == true)
        // accept-then-drop stores a ticket whose answer is lost: delivery is at least once.
        let expectedTickets = action == "accept-then-drop" ? [102, 102] : [102]
        #expect(try sandbox.ticketPids() == expectedTickets)
    }

    @Test func timeoutIsRetried() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/feedback/", "action": "delay", "delayMs": 2500}]"#
        )
        let daemon = try startDaemon(sandbox, pids: [103], timeout: "1s")

        #expect(try pollUntil { try daemon.states()["done"]?.count == 1 }, "\(daemon.output)")
        #expect(daemon.logLines(containing: "will retry", "timed out").count == 1)
    }

    @Test(arguments: ["seconds", "http-date"])
    func retryAfterIsHonoured(form: String) throws {
        let sandbox = try SandboxServer()
        let value: String
        if form == "seconds" {
            value = "2"
        } else {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            value = formatter.string(from: Date().addingTimeInterval(4))
        }
        try sandbox.setFaults(faultRule(status: 503, times: 1, retryAfter: value))
        let daemon = try startDaemon(sandbox, pids: [104])

        #expect(try pollUntil { try daemon.states()["done"]?.count == 1 }, "\(daemon.output)")
        let line = try #require(daemon.logLines(containing: "will retry").first)
        let delay = try #require(
            CrashfwdDaemon.field("RETRY_IN_SECONDS", in: line).flatMap(Double.init))
        // Without Retry-After the first delay is at most initial_backoff (50 ms).
        #expect(delay >= 1.5, "\(line)")
        #expect(delay <= 4, "\(line)")
    }

    @Test func overloadPacesLaterReports() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(faultRule(status: 429, times: 1, retryAfter: "0"))
        let daemon = try CrashfwdDaemon(
            sandbox: sandbox,
            delivery: ["maximum_backoff": "2s", "overload_interval": "2s", "rate_limit": "0"])
        for pid in 201...204 { try daemon.appendCrash(pid: pid) }
        try daemon.start()

        #expect(try pollUntil { try daemon.states()["done"]?.count == 4 }, "\(daemon.output)")
        let requests = try sandbox.createRequests()
        try #require(requests.count == 5, "\(requests)")
        let times = try requests.map { try Self.seconds($0.time) }
        // After the 429 the rate falls to one request per 2 s and doubles with each
        // accepted request, so the daemon sends them 1 s, then 0.5 s apart. The sandbox
        // times their arrival, which varies by a few milliseconds per request, hence the
        // slack; without pacing (rate_limit 0) they would arrive milliseconds apart.
        #expect(times[2] - times[1] >= 0.9, "\(times)")
        #expect(times[3] - times[2] >= 0.4, "\(times)")
        #expect(daemon.logLines(containing: "destination reported overload").count == 1)
        #expect(try sandbox.ticketPids().sorted() == [201, 202, 203, 204])
    }

    /// Parses a sandbox request time such as `2026-12-04T10:00:00.123Z` into Unix seconds.
    static func seconds(_ time: String) throws -> Double {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(formatter.date(from: time), "unreadable time \(time)")
        return date.timeIntervalSince1970
    }

    @Test(arguments: [400, 413, 422, 501])
    func permanentStatusMarksDead(status: Int) throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/feedback/", "times": 1, "status": \#(status), "body": "{\"status\": \#(status), \"description\": \"Rejected for test.\"}"}]"#
        )
        let daemon = try startDaemon(sandbox, pids: [105])

        #expect(try pollUntil { try daemon.states()["dead"]?.count == 1 }, "\(daemon.output)")
        // A later crash is delivered, so the delivery thread ran past the dead report.
        try daemon.appendCrash(pid: 106)
        #expect(try pollUntil { try sandbox.ticketPids() == [106] }, "\(daemon.output)")
        #expect(try sandbox.createRequests(status: status).count == 1)
        let rows = try daemon.queueRows().filter { $0["state"] as? String == "dead" }
        #expect(rows.first?["lastStatus"] as? Int == status)
        #expect((rows.first?["lastError"] as? String)?.contains("Rejected for test.") == true)
        #expect(
            daemon.logLines(containing: "will not be retried", "HTTP_STATUS=\(status)").count == 1)
    }

    @Test func nonMemberSubmitterIsRejected() throws {
        let sandbox = try SandboxServer()
        let daemon = try startDaemon(sandbox, pids: [107], submitter: "nobody@example.com")

        #expect(try pollUntil { try daemon.states()["dead"]?.count == 1 }, "\(daemon.output)")
        let message = "Invalid submitter: 'nobody@example.com' is not a member of this project."
        let lines = daemon.logLines(containing: "will not be retried", "HTTP_STATUS=400")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(message) == true)
        #expect(try sandbox.tickets().isEmpty)
        #expect(try sandbox.createRequests().count == 1)

        let id = try #require(try daemon.states()["dead"]?.first)
        let (status, shown, _) = try daemon.queue(["show", id])
        #expect(status == 0)
        #expect(shown.contains("state:        dead"))
        #expect(shown.contains(message))
    }

    @Test(arguments: [401, 403, 404])
    func rejectedEndpointPausesAndKeepsReports(status: Int) throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(faultRule(status: status, times: 1))
        let daemon = try startDaemon(sandbox, pids: [108])

        #expect(
            try pollUntil { !daemon.logLines(containing: "delivery to it is paused").isEmpty },
            "\(daemon.output)")
        let line = try #require(daemon.logLines(containing: "delivery to it is paused").first)
        #expect(line.contains("HTTP_STATUS=\(status)"))
        #expect(line.contains("apiKey=***"))
        #expect(!daemon.output.contains(SandboxServer.defaultAPIKey))

        try daemon.appendCrash(pid: 109)
        #expect(try pollUntil { daemon.logLines(containing: "crash detected").count == 2 })
        #expect(try daemon.states()["queued"]?.count == 2)
        #expect(try sandbox.createRequests().count == 1)

        // A manual retry ends the pause; both reports go out.
        let (retryStatus, _, retryErrors) = try daemon.queue([
            "retry", try daemon.states()["queued"]?.first ?? "",
        ])
        #expect(retryStatus == 0, "\(retryErrors)")
        #expect(
            try pollUntil { try sandbox.ticketPids().sorted() == [108, 109] }, "\(daemon.output)")
    }

    @Test(arguments: [("wrong-key-5678", 404), ("old-key-5678", 403)])
    func badKeyThenFixedKeyDeliversAll(badKey: String, status: Int) throws {
        let sandbox = try SandboxServer(
            config: SandboxServer.defaultConfig(revokedKeys: ["old-key-5678"]))
        let daemon = try startDaemon(sandbox, pids: [110, 111, 112], apiKey: badKey)

        #expect(
            try pollUntil {
                !daemon.logLines(containing: "delivery to it is paused", "HTTP_STATUS=\(status)")
                    .isEmpty
            }, "\(daemon.output)")
        #expect(try pollUntil { try daemon.states()["queued"]?.count == 3 })
        #expect(try sandbox.tickets().isEmpty)
        #expect(!daemon.output.contains(badKey))
        let files = try FileManager.default.contentsOfDirectory(
            atPath: "\(daemon.stateDirectory)/reports")
        for file in files {
            let text = try String(
                contentsOfFile: "\(daemon.stateDirectory)/reports/\(file)", encoding: .utf8)
            #expect(!text.contains(badKey), "\(file)")
        }

        daemon.stop()
        daemon.apiKey = SandboxServer.defaultAPIKey
        try daemon.start()
        #expect(
            try pollUntil { try sandbox.ticketPids().sorted() == [110, 111, 112] },
            "\(daemon.output)")
        #expect(try pollUntil { try daemon.states()["done"]?.count == 3 })
    }

    @Test func corruptedReportIsQuarantined() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(faultRule(status: 503, times: -1))
        let daemon = try startDaemon(sandbox, pids: [113, 114, 115])
        #expect(
            try pollUntil {
                try sandbox.createRequests().count >= 3
                    && (try daemon.states()["queued"]?.count) == 3
            }, "\(daemon.output)")
        daemon.stop()

        let reports = "\(daemon.stateDirectory)/reports"
        let victim = try #require(
            try FileManager.default.contentsOfDirectory(atPath: reports).sorted().first)
        let content = try Data(contentsOf: URL(fileURLWithPath: "\(reports)/\(victim)"))
        try content.prefix(content.count / 2).write(
            to: URL(fileURLWithPath: "\(reports)/\(victim)"))
        try sandbox.clearFaults()
        try daemon.start()

        #expect(try pollUntil { try sandbox.tickets().count == 2 }, "\(daemon.output)")
        #expect(
            FileManager.default.fileExists(atPath: "\(daemon.stateDirectory)/quarantine/\(victim)"))
        #expect(!FileManager.default.fileExists(atPath: "\(reports)/\(victim)"))
        #expect(daemon.logLines(containing: "moved to quarantine", victim).count == 1)
        #expect(try pollUntil { try daemon.states()["done"]?.count == 2 })
    }

    @Test func queueCommandsWorkWithAndWithoutDaemon() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/feedback/", "times": 2, "status": 400}]"#)
        let daemon = try startDaemon(sandbox, pids: [116, 117])
        #expect(try pollUntil { try daemon.states()["dead"]?.count == 2 }, "\(daemon.output)")
        let dead = try #require(try daemon.states()["dead"]?.sorted())

        // With the daemon running, retry and drop are handed to it.
        let (dropStatus, dropOutput, _) = try daemon.queue(["drop", dead[0]])
        #expect(dropStatus == 0)
        #expect(dropOutput.contains("running crashfwd applied"))
        #expect(try pollUntil { try daemon.states()["dead"] == [dead[1]] })
        let (retryStatus, _, _) = try daemon.queue(["retry", "--dead"])
        #expect(retryStatus == 0)
        #expect(try pollUntil { try sandbox.tickets().count == 1 }, "\(daemon.output)")
        #expect(try pollUntil { try daemon.states()["done"] == [dead[1]] })

        // Without it, commands change the files directly.
        daemon.stop()
        let (showStatus, shown, _) = try daemon.queue(["show", dead[1], "--json"])
        #expect(showStatus == 0)
        let report = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]
        #expect(report?["state"] as? String == "done")
        #expect(report?["feedbackID"] as? String == "1000")
        let (doneRetry, _, doneErrors) = try daemon.queue(["retry", dead[1]])
        #expect(doneRetry == 1)
        #expect(doneErrors.contains("already done"))
        let (unknown, _, unknownErrors) = try daemon.queue(["drop", "abcdef"])
        #expect(unknown == 1)
        #expect(unknownErrors.contains("no report with ID"))
        let (drop, _, _) = try daemon.queue(["drop", dead[1]])
        #expect(drop == 0)
        let (listStatus, listed, _) = try daemon.queue(["list"])
        #expect(listStatus == 0)
        #expect(listed.contains("The queue is empty."))
    }
}
