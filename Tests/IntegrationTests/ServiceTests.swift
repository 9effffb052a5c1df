import Foundation
import Testing

/// The daemon as a systemd service: sd_notify, reload, stop, status and metrics.
@Suite struct ServiceTests {
    static let segfault = "app[41]: segfault at 0 ip 0"
    static let abort = "app[42]: double free or corruption (out)"

    func number(_ status: [String: Any]?, _ key: String) -> Int {
        status?[key] as? Int ?? -1
    }

    @Test func notifyReadyWatchdogStopping() throws {
        let directory = try TemporaryDirectory(prefix: "crashfwd-notify")
        let socket = try NotifySocket(path: directory.file("notify.sock"))
        let daemon = try ServiceDaemon(
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000"])
        let running = socket.receive(for: 2)
        #expect(running.contains { $0.contains("READY=1") }, "\(running)\n\(daemon.log)")
        #expect(running.contains { $0.hasPrefix("STATUS=") || $0.contains("\nSTATUS=") })
        // A ping every 100 ms is expected; 5 in 2 s leaves room for a slow machine.
        #expect(running.filter { $0 == "WATCHDOG=1" }.count >= 5, "\(running)")
        daemon.signal(SIGTERM)
        let stopping = socket.receive(for: 2)
        #expect(stopping.contains { $0.contains("STOPPING=1") }, "\(stopping)")
        #expect(daemon.stop() == 0)
    }

    @Test func watchdogOffForOtherPID() throws {
        let directory = try TemporaryDirectory(prefix: "crashfwd-notify")
        let socket = try NotifySocket(path: directory.file("notify.sock"))
        let daemon = try ServiceDaemon(
            environment: [
                "NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1",
            ])
        let messages = socket.receive(for: 1)
        #expect(messages.contains { $0.contains("READY=1") }, "\(messages)")
        #expect(!messages.contains("WATCHDOG=1"))
        #expect(daemon.stop() == 0)
    }

    @Test func reloadAddsMatcher() throws {
        let daemon = try ServiceDaemon(matchers: ["segfault"])
        try daemon.append(Self.abort)
        try daemon.append(Self.segfault)
        #expect(waitUntil { number(daemon.status(), "crashesDetected") == 1 }, "\(daemon.log)")

        try daemon.writeConfig(url: "http://127.0.0.1:9", matchers: ["segfault", "abort"])
        daemon.signal(SIGHUP)
        #expect(waitUntil { number(daemon.status(), "configReloads") == 1 }, "\(daemon.log)")
        try daemon.append(Self.abort.replacingOccurrences(of: "[42]", with: "[43]"))
        #expect(waitUntil { number(daemon.status(), "crashesDetected") == 2 }, "\(daemon.log)")
        #expect(daemon.reports().count == 2)
        #expect(daemon.log.contains("config reloaded"))
        #expect(daemon.stop() == 0)
    }

    @Test func reloadRejectsBrokenConfig() throws {
        let daemon = try ServiceDaemon(matchers: ["segfault"])
        #expect(waitUntil { daemon.status() != nil }, "\(daemon.log)")
        try Data("detect: [unclosed\n".utf8).write(to: URL(fileURLWithPath: daemon.configPath))
        daemon.signal(SIGHUP)
        #expect(waitUntil { number(daemon.status(), "configReloadFailures") == 1 }, "\(daemon.log)")
        #expect(daemon.log.contains("config reload rejected"))
        #expect(daemon.log.contains("invalid YAML"))

        try daemon.append(Self.segfault)
        #expect(waitUntil { number(daemon.status(), "crashesDetected") == 1 }, "\(daemon.log)")
        #expect(daemon.process.isRunning)
        #expect(daemon.stop() == 0)
    }

    @Test func sigtermWaitsForRequestInFlight() throws {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(#"[{"method": "POST", "action": "delay", "delayMs": 2000}]"#)
        let daemon = try ServiceDaemon(url: sandbox.baseURL)
        try daemon.append(Self.segfault)
        #expect(waitUntil { daemon.reports().count == 1 }, "\(daemon.log)")
        usleep(500_000)
        let stopStarted = Date()
        #expect(daemon.stop() == 0, "\(daemon.log)")
        // The sandbox holds the request for 2 s, so a stop that took under 1 s did not wait.
        #expect(Date().timeIntervalSince(stopStarted) >= 1, "\(daemon.log)")

        let reports = daemon.reports()
        #expect(reports.count == 1)
        #expect(reports.first?["state"] as? String == "done", "\(reports)")
        #expect(try sandbox.tickets().count == 1)
    }

    @Test func statusJSONFields() throws {
        let daemon = try ServiceDaemon()
        try daemon.append(Self.segfault)
        #expect(waitUntil { number(daemon.status(), "crashesDetected") == 1 }, "\(daemon.log)")
        let result = try runProgram(
            Binaries.path("crashfwd"), ["status", "--json", "--config", daemon.configPath])
        #expect(result.status == 0, "\(result.output)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(json["running"] as? Bool == true)
        #expect((json["uptimeSeconds"] as? Double ?? -1) >= 0)
        #expect((json["queueOldestAgeSeconds"] as? Double ?? -1) > 0)
        let queue = json["queue"] as? [String: Any]
        #expect(queue?["depth"] as? Int == 1)
        let report = try #require(json["daemon"] as? [String: Any])
        #expect(report["version"] as? String != nil)
        #expect(report["ticketsCreated"] as? Int == 0)
        #expect(report["crashesDetected"] as? Int == 1)
        #expect(report["pausedDestinations"] as? [String: Any] != nil)
        let sources = report["sources"] as? [[String: Any]]
        #expect(sources?.first?["name"] as? String == daemon.appLog)
        #expect(sources?.first?["position"] as? String == "\(Self.segfault.utf8.count + 1)")
        #expect(waitUntil { daemon.status()?["lastError"] as? String == "network" })

        let human = try runProgram(
            Binaries.path("crashfwd"), ["status", "--config", daemon.configPath])
        #expect(human.output.contains("is running"), "\(human.output)")
        #expect(human.output.contains("1 queued"), "\(human.output)")
        #expect(daemon.stop() == 0)
        let stopped = try runProgram(
            Binaries.path("crashfwd"), ["status", "--config", daemon.configPath])
        #expect(stopped.status == 3, "\(stopped.output)")
    }

    @Test func metricsFileContent() throws {
        let daemon = try ServiceDaemon()
        try daemon.append(Self.segfault)
        var metrics = ""
        let written = waitUntil {
            metrics = (try? String(contentsOfFile: daemon.metricsPath, encoding: .utf8)) ?? ""
            return metrics.contains("crashfwd_delivery_failures_total{reason=\"network\"}")
        }
        #expect(written, "\(metrics)\n\(daemon.log)")
        let expected = [
            "crashfwd_crashes_detected_total 1",
            "crashfwd_tickets_created_total 0",
            "crashfwd_queue_reports{state=\"queued\"} 1",
            "crashfwd_queue_reports{state=\"done\"} 0",
            "crashfwd_destination_paused{destination=\"sandbox\"} 0",
            "# TYPE crashfwd_crashes_detected_total counter",
            "# TYPE crashfwd_queue_oldest_age_seconds gauge",
        ]
        for line in expected {
            #expect(metrics.contains(line + "\n"), "missing \(line) in\n\(metrics)")
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: daemon.metricsPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o644)
        #expect(daemon.stop() == 0)
    }

    @Test func apiKeyNeverLogged() throws {
        let daemon = try ServiceDaemon()
        try daemon.append(Self.segfault)
        #expect(waitUntil { daemon.log.contains("delivery failed") }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains(SandboxServer.defaultAPIKey))
        let status = (try? String(contentsOfFile: daemon.statusPath, encoding: .utf8)) ?? ""
        #expect(!status.contains(SandboxServer.defaultAPIKey))
    }
}
