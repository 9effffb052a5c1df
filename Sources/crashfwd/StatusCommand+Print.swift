import CrashfwdCore

extension StatusCommand {
    static func printHuman(_ output: Output) {
        guard let report = output.daemon else {
            print("crashfwd is not running: no status file at \(output.statusFile)")
            printQueue(output)
            return
        }
        if output.running, let uptime = output.uptimeSeconds {
            print(
                "crashfwd \(report.version) is running (pid \(report.pid)), up \(duration(uptime))")
        } else {
            print(
                "crashfwd is not running; last status from pid \(report.pid), written \(duration(output.statusAgeSeconds ?? 0)) ago"
            )
        }

        print("Config:            \(report.configFile)")
        print("State directory:   \(output.stateDirectory)")
        print("Sources:")
        if report.sources.isEmpty { print("  (none)") }
        for source in report.sources {
            print("  \(source.kind) \(source.name)  position \(source.position)")
        }

        print("Crashes detected:  \(report.crashesDetected)")
        print("Tickets created:   \(report.ticketsCreated)")
        print("Duplicates:        \(report.duplicatesSkipped)")
        let failures = report.deliveryFailures.keys.sorted().map {
            "\($0)=\(report.deliveryFailures[$0] ?? 0)"
        }
        print("Delivery failures: \(failures.isEmpty ? "none" : failures.joined(separator: " "))")
        print("Last delivery:     \(report.lastDelivery.map(StatusReport.iso8601) ?? "never")")

        printQueue(output)
        for name in report.pausedDestinations.keys.sorted() {
            let until = report.pausedDestinations[name].map(StatusReport.iso8601) ?? "?"
            print(
                "Paused:            \(name) until \(until) (the server rejected its URL or API key)"
            )
        }
        for (name, rate) in (report.pacedDestinations ?? [:]).sorted(by: { $0.key < $1.key }) {
            let perMinute = (rate * 60 * 10).rounded() / 10
            print(
                "Paced:             \(name) at \(perMinute) requests per minute (the server reported overload)"
            )
        }
        if let error = report.lastError {
            let time = report.lastErrorAt.map(StatusReport.iso8601) ?? "?"
            print("Last error:        \(time) \(error)")
        }
    }

    static func printQueue(_ output: Output) {
        let counts = output.queue.reports
        var line =
            "Queue:             \(counts["queued"] ?? 0) queued, \(counts["created"] ?? 0) created, "
        line += "\(counts["dead"] ?? 0) dead, \(counts["done"] ?? 0) done"
        if output.queue.depth > 0 {
            line += "; oldest pending \(duration(output.queueOldestAgeSeconds))"
        }
        print(line)
        if output.unreadableReports > 0 {
            print(
                "                   \(output.unreadableReports) unreadable report file(s); 'crashfwd queue list' names them"
            )
        }
    }

    /// Formats seconds as `3d 4h`, `2h 5m`, `5m 3s` or `42s`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let (days, hours, minutes, rest) = (
            total / 86400, total / 3600 % 24, total / 60 % 60, total % 60
        )
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(rest)s" }
        return "\(rest)s"
    }
}
