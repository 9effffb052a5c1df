import CrashfwdCore
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

enum QueueCommand {
    static let help = """
        Usage: crashfwd queue list [--json] [--config PATH]
               crashfwd queue show ID [--json]
               crashfwd queue retry ID | --dead
               crashfwd queue drop ID

        Inspects and changes the report queue in the state directory. 'retry' puts a dead
        or waiting report back in line for an attempt now and ends the pause of its
        destination; 'retry --dead' does so for every dead report. 'drop' deletes a report
        for good. While crashfwd runs, 'retry' and 'drop' hand the change to it and wait
        up to 10 seconds until it is applied.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard
            let options = Options.parse(arguments, command: "queue", flags: ["--dead"], help: help),
            let config = options.loadConfig(command: "queue")
        else { return 2 }
        let lock: StateLock?
        let queue: ReportQueue
        do {
            if mkdir(config.stateDirectory, 0o750) != 0 && errno != EEXIST {
                throw SystemError("mkdir", path: config.stateDirectory)
            }
            // Only retry and drop change files; list and show leave the lock to the daemon.
            let changes = ["retry", "drop"].contains(options.positional.first ?? "list")
            lock = changes ? try StateLock.acquire(stateDirectory: config.stateDirectory) : nil
            queue = try ReportQueue(stateDirectory: config.stateDirectory, repair: lock != nil)
        } catch {
            printError(
                "crashfwd queue: cannot open the queue in \(config.stateDirectory): \(error)")
            return 1
        }
        // The lock is held until the command ends, so no daemon starts while it changes files.
        return withExtendedLifetime(lock) {
            perform(
                options, queue: queue, changer: Changer(queue: queue, daemonRunning: lock == nil))
        }
    }

    static func perform(_ options: Options, queue: ReportQueue, changer: Changer) -> Int32 {
        let words = options.positional
        switch words.first {
        case "list", nil: return list(queue, json: options.json)
        case "show": return withID(words) { show(queue, id: $0, json: options.json) }
        case "retry":
            if options.flags.contains("--dead") {
                return changer.perform(QueueRequest(action: .retryDead))
            }
            return withID(words) { changer.perform(QueueRequest(action: .retry, id: $0)) }
        case "drop": return withID(words) { changer.perform(QueueRequest(action: .drop, id: $0)) }
        default:
            printError("crashfwd queue: unknown action '\(words[0])'\n\n\(help)")
            return 2
        }
    }

    static func withID(_ words: [String], _ action: (String) -> Int32) -> Int32 {
        guard words.count == 2 else {
            printError(
                "crashfwd queue \(words[0]): needs one report ID (see 'crashfwd queue list')")
            return 2
        }
        return action(words[1])
    }

    struct Row: Codable {
        var id: String
        var state: String
        var destination: String
        var matcher: String
        var attempts: Int
        var feedbackID: String?
        var createdAt: String
        var nextAttemptAt: String?
        var lastError: String?
        var lastStatus: Int?
        var possibleDuplicates: Int
    }

    static func list(_ queue: ReportQueue, json: Bool) -> Int32 {
        var rows: [Row] = []
        for id in queue.entries().sorted(by: { $0.value.createdAt < $1.value.createdAt }).map(\.key)
        {
            guard let report = try? queue.load(id) else { continue }
            rows.append(row(report))
        }
        for file in queue.unreadable {
            printError(
                "crashfwd queue: cannot read \(queue.reportsDirectory)/\(file.file): \(file.reason); the daemon moves it to \(queue.quarantineDirectory) when it starts"
            )
        }
        if json { return printJSON(rows) }
        if rows.isEmpty {
            print("The queue is empty.")
            return 0
        }
        print(
            pad("ID", 34) + pad("STATE", 9) + pad("FEEDBACK", 10) + pad("TRIES", 6)
                + pad("MATCHER", 18) + "LAST ERROR")
        for row in rows {
            print(
                pad(row.id, 34) + pad(row.state, 9) + pad(row.feedbackID ?? "-", 10)
                    + pad("\(row.attempts)", 6) + pad(row.matcher, 18) + (row.lastError ?? ""))
        }
        return 0
    }

    static func row(_ report: Report) -> Row {
        Row(
            id: report.id, state: report.state.rawValue, destination: report.destination,
            matcher: report.detection.matcher, attempts: report.attempts,
            feedbackID: report.feedbackID,
            createdAt: iso(report.createdAt),
            nextAttemptAt: report.isPending ? iso(report.nextAttemptAt) : nil,
            lastError: report.lastError, lastStatus: report.lastStatus,
            possibleDuplicates: report.possibleDuplicates ?? 0)
    }

    static func show(_ queue: ReportQueue, id: String, json: Bool) -> Int32 {
        guard let report = load(queue, id) else { return 1 }
        if json { return printJSON(report) }
        let row = row(report)
        print("Report \(row.id)")
        print("  state:        \(row.state)")
        print("  destination:  \(row.destination)")
        print("  matcher:      \(row.matcher)")
        print("  source:       \(report.detection.source)")
        print("  fingerprint:  \(report.detection.fingerprint)")
        print("  feedback id:  \(row.feedbackID ?? "-")")
        print("  attempts:     \(row.attempts)")
        print("  created:      \(row.createdAt)")
        if let next = row.nextAttemptAt { print("  next attempt: \(next)") }
        if let error = row.lastError { print("  last error:   \(error)") }
        if let response = report.lastResponse { print("  last answer:  \(response)") }
        if row.possibleDuplicates > 0 {
            print(
                "  possible duplicate tickets: \(row.possibleDuplicates) (a restart interrupted a create request)"
            )
        }
        for attachment in report.attachments {
            print(
                "  attachment:   \(attachment.element)/\(attachment.fileName.isEmpty ? "-" : attachment.fileName) \(attachment.state.rawValue), \(attachment.bytesSent) of \(attachment.size) bytes sent, \(attachment.attempts) attempt(s)\(attachment.lastError.map { ": \($0)" } ?? "")"
            )
        }
        print("  body:         \(report.body ?? "(not rendered)")")
        print("  block:")
        for line in report.detection.lines { print("    \(line)") }
        return 0
    }

    static func load(_ queue: ReportQueue, _ id: String) -> Report? {
        guard queue.contains(id) else {
            printError("crashfwd queue: no report with ID '\(id)'; see 'crashfwd queue list'")
            return nil
        }
        do {
            return try queue.load(id)
        } catch {
            printError("crashfwd queue: cannot read report \(id): \(error)")
            return nil
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func iso(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(.iso8601)
    }
}

/// Prints a value as pretty JSON with sorted keys.
func printJSON<Value: Encodable>(_ value: Value) -> Int32 {
    do {
        print(String(decoding: try JSONCoding.encode(value, pretty: true), as: UTF8.self))
        return 0
    } catch {
        printError("crashfwd: cannot encode JSON: \(error)")
        return 1
    }
}

/// Applies `retry` and `drop` directly, or hands them to the running daemon.
struct Changer {
    let queue: ReportQueue
    let daemonRunning: Bool
    static let waitSeconds = 10.0

    func perform(_ request: QueueRequest) -> Int32 {
        if let id = request.id {
            guard let report = QueueCommand.load(queue, id) else { return 1 }
            // Checked here as well as by the daemon, so the user sees the refusal and not
            // only the daemon's log.
            if request.action == .retry && report.state == .done {
                printError(
                    "crashfwd queue retry: report \(id) is already done (feedback id \(report.feedbackID ?? "-")); nothing to retry"
                )
                return 1
            }
        }
        if daemonRunning { return handOver(request) }
        do {
            let reports = try queue.apply(request, now: Clock.now())
            printOutcome(request, count: reports.count)
            return 0
        } catch {
            printError("crashfwd queue \(request.action.rawValue): \(error)")
            return 1
        }
    }

    /// Writes the request for the daemon and waits until the daemon has taken it.
    func handOver(_ request: QueueRequest) -> Int32 {
        let path: String
        do {
            path = try queue.submit(request)
        } catch {
            printError(
                "crashfwd queue \(request.action.rawValue): cannot write the request for the running crashfwd: \(error)"
            )
            return 1
        }
        let deadline = Clock.monotonic() + Changer.waitSeconds
        while Clock.monotonic() < deadline {
            if access(path, F_OK) != 0 {
                print("The running crashfwd applied the request (see its log for the outcome).")
                return 0
            }
            usleep(50_000)
        }
        print(
            "The running crashfwd has not taken the request yet; it stays in \(path) and is applied on the next delivery pass."
        )
        return 0
    }

    func printOutcome(_ request: QueueRequest, count: Int) {
        switch request.action {
        case .retry: print("Report \(request.id ?? "") is queued for an attempt now.")
        case .retryDead: print("\(count) dead report(s) queued again.")
        case .drop: print("Report \(request.id ?? "") deleted.")
        }
    }
}
