import CrashfwdCore

#if canImport(Glibc)
    import Glibc
#endif

enum StatusCommand {
    static let help = """
        Usage: crashfwd status [--json] [--config PATH]

        Shows whether the daemon runs, its version and uptime, the sources and their
        positions, crashes detected, tickets created, failed deliveries, paused
        destinations, destinations paced after a 429 and the last error, from the status
        file the daemon writes on every change (default STATE/status.json). Queue counts
        and the age of the oldest pending report are read from the queue directory at the
        time of the call. Reads only state_directory and the service section of the
        config, so it works without the API key.

        Exit status: 0 when the daemon runs, 3 when it does not, 1 on an error.
        """

    /// `status --json` output: the daemon's last status with live queue counts.
    struct Output: Encodable {
        var running: Bool
        var uptimeSeconds: Double?
        var statusAgeSeconds: Double?
        var stateDirectory: String
        var statusFile: String
        var queue: QueueSummary
        var queueOldestAgeSeconds: Double
        var unreadableReports: Int
        var daemon: StatusReport?
    }

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = Options.parse(arguments, command: "status", help: help) else {
            return 2
        }
        guard let output = collect(configPath: options.configPath) else { return 1 }
        if options.json {
            if printJSON(output) != 0 { return 1 }
        } else {
            printHuman(output)
        }
        return output.running ? 0 : 3
    }

    static func collect(configPath: String) -> Output? {
        do {
            let located = try ServiceConfig.locate(
                configPath: configPath, environment: Config.currentEnvironment())
            let report = try StatusReport.load(path: located.service.statusFile)
            let scan = try QueueSummary.scan(stateDirectory: located.stateDirectory)
            let now = Clock.now()
            let running = report.map { isRunning(pid: $0.pid) } ?? false
            return Output(
                running: running, uptimeSeconds: running ? report.map { now - $0.startedAt } : nil,
                statusAgeSeconds: report.map { now - $0.updatedAt },
                stateDirectory: located.stateDirectory, statusFile: located.service.statusFile,
                queue: scan.summary, queueOldestAgeSeconds: scan.summary.oldestAge(now: now),
                unreadableReports: scan.unreadable, daemon: report)
        } catch {
            printError("crashfwd status: \(error)")
            return nil
        }
    }

    /// True when `pid` is a live process named crashfwd. kill(pid, 0) fails with EPERM for
    /// a process of another user, which still counts as alive.
    static func isRunning(pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let file = fopen("/proc/\(pid)/comm", "r") else { return false }
        defer { fclose(file) }
        var name = [CChar](repeating: 0, count: 64)
        guard fgets(&name, Int32(name.count), file) != nil else { return false }
        let text = String(
            decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.hasPrefix("crashfwd")
    }
}
