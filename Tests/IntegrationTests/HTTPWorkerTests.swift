import Foundation
import Testing

/// `crashfwd run` sends its requests from an `http-worker` child process that exits when
/// idle, dies with the daemon and is replaced after a failure.
@Suite(.serialized)
struct HTTPWorkerTests {
    private static func config(sandbox: SandboxServer) -> String {
        CrashfwdProcess.config(sandbox: sandbox).replacingOccurrences(
            of: "  maximum_backoff: 500ms\n",
            with: "  maximum_backoff: 500ms\n  http_worker_idle_timeout: 1s\n")
    }

    @Test func workerSendsThenExitsWhenIdle() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: Self.config(sandbox: sandbox))
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 5101)])

        try waitUntil("the ticket exists") { try sandbox.tickets().count == 1 }
        try waitUntil("the worker stops") { crashfwd.log.contains("HTTP worker stopped") }
        #expect(crashfwd.log.contains("HTTP worker started"))
        #expect(childProcesses(of: crashfwd.pid).isEmpty)
        let maps = try String(contentsOfFile: "/proc/\(crashfwd.pid)/maps", encoding: .utf8)
        #expect(!maps.contains("libcurl"), "the daemon itself loaded libcurl")

        // The next crash starts a new worker.
        try crashfwd.append([CrashfwdProcess.segfaultLine(program: "indexer", pid: 5102)])
        try waitUntil("the second ticket exists") { try sandbox.tickets().count == 2 }
        #expect(crashfwd.stop() == 0)
    }

    /// A package upgrade replaces the binary while the daemon runs: the worker must still
    /// be the daemon's own binary, which /proc/self/exe reaches after the file is gone.
    @Test func workerStartsAfterBinaryDeleted() throws {
        let sandbox = try SandboxServer()
        let crashfwd = try CrashfwdProcess(config: Self.config(sandbox: sandbox))
        let copy = crashfwd.directory.file("crashfwd-copy")
        try FileManager.default.copyItem(atPath: Binaries.path("crashfwd"), toPath: copy)
        crashfwd.executable = copy
        try crashfwd.start()
        try FileManager.default.removeItem(atPath: copy)

        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 5401)])
        try waitUntil("the ticket exists") { try sandbox.tickets().count == 1 }
        #expect(!crashfwd.log.contains("HTTP worker failed"))
        #expect(crashfwd.stop() == 0)
    }

    /// stop() must wake every delivery thread, not only the first one to read the signal.
    /// The others would sleep until their next check, up to a minute later.
    @Test func stopWakesEveryDeliveryThread() throws {
        let sandbox = try SandboxServer()
        let config = CrashfwdProcess.config(sandbox: sandbox).replacingOccurrences(
            of: "  maximum_backoff: 500ms\n",
            with: "  maximum_backoff: 500ms\n  max_in_flight: 4\n  http_worker_idle_timeout: 0s\n")
        let crashfwd = try CrashfwdProcess(config: config)
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: 5601)])
        try waitUntil("the ticket exists") { try sandbox.tickets().count == 1 }

        let started = Date()
        #expect(crashfwd.stop() == 0)
        #expect(Date().timeIntervalSince(started) < 20, "the limit check runs every 60 s")
    }

    /// Starts crashfwd against a sandbox that delays the create request by 3 s, appends
    /// one crash and returns once the worker sending it is running. The sandbox stops when
    /// the caller releases it.
    private static func startWithRequestInFlight(pid: Int) throws -> (
        sandbox: SandboxServer, crashfwd: CrashfwdProcess, worker: Int32
    ) {
        let sandbox = try SandboxServer()
        try sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/feedback/", "action": "delay", "delayMs": 3000}]"#
        )
        let crashfwd = try CrashfwdProcess(config: config(sandbox: sandbox))
        try crashfwd.start()
        try crashfwd.append([CrashfwdProcess.segfaultLine(pid: pid)])
        var workers: [Int32] = []
        try waitUntil("the worker sends the delayed request") {
            workers = childProcesses(of: crashfwd.pid)
            return workers.count == 1
        }
        return (sandbox, crashfwd, workers[0])
    }

    @Test func workerDiesWithDaemon() throws {
        let (sandbox, crashfwd, worker) = try Self.startWithRequestInFlight(pid: 5201)
        defer { withExtendedLifetime(sandbox) {} }
        // The key comes with each request, so the worker's environment must not contain it.
        let environment = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(worker)/environ"))
        let variables = String(decoding: environment, as: UTF8.self).split(separator: "\0")
        #expect(variables.contains { $0.hasPrefix("PATH=") })
        #expect(!variables.contains { $0.contains(SandboxServer.defaultAPIKey) })

        crashfwd.kill9()
        try waitUntil("the worker ends with the daemon", timeout: 5) { !isAlive(worker) }
    }

    /// systemctl stop sends SIGTERM to every process of the service: the request in
    /// flight still completes, so the ticket is recorded and never sent twice.
    @Test func stopSignalToAllLetsRequestFinish() throws {
        let (sandbox, crashfwd, worker) = try Self.startWithRequestInFlight(pid: 5501)
        kill(worker, SIGTERM)
        #expect(crashfwd.stop() == 0)
        #expect(try sandbox.tickets().count == 1)
        let rows = try crashfwd.command(["queue", "list"]).output.split(separator: "\n")
        #expect(rows.dropFirst().contains { $0.contains(" done ") }, "\(rows)")
        #expect(!crashfwd.log.contains("HTTP worker failed"))
    }

    @Test func killedWorkerIsReplaced() throws {
        let (sandbox, crashfwd, worker) = try Self.startWithRequestInFlight(pid: 5301)
        defer { withExtendedLifetime(sandbox) {} }
        kill(worker, SIGKILL)
        try waitUntil("the daemon notices") { crashfwd.log.contains("HTTP worker failed") }
        #expect(crashfwd.log.contains("killed by signal 9"))
        // The delayed request still reaches the sandbox, so the retry may add a second
        // ticket, as after any connection lost before the response.
        try waitUntil("the report is delivered by a new worker") {
            let rows = try crashfwd.command(["queue", "list"]).output.split(separator: "\n")
            return rows.dropFirst().contains { $0.contains(" done ") }
        }
        #expect(crashfwd.stop() == 0)
    }
}

/// Returns the PIDs whose parent is `pid`, read from /proc/*/stat; zombies are left out.
func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { candidate in
        guard let fields = statFields(candidate) else { return false }
        return fields.state != "Z" && fields.parent == pid
    }
}

/// True while `pid` exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard let fields = statFields(pid) else { return false }
    return fields.state != "Z"
}

/// Returns the state and parent PID from /proc/PID/stat. The command name in parentheses
/// may contain spaces, so the fields are counted from the last ')'.
private func statFields(_ pid: Int32) -> (state: String, parent: Int32)? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")")
    else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 1, let parent = Int32(fields[1]) else { return nil }
    return (String(fields[0]), parent)
}
