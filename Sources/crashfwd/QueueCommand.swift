import CrashfwdCore
import FoundationEssentials

enum QueueCommand {
    static let help = """
        Usage: crashfwd queue list [--json] [--config PATH]
               crashfwd queue show ID [--json]
               crashfwd queue retry ID | --dead
               crashfwd queue drop ID

        Inspects and changes the report queue in the state directory. 'retry' puts a dead
        or waiting report back in line for an attempt now (a running daemon picks it up on
        its next delivery pass); 'retry --dead' does so for every dead report. 'drop'
        deletes a report for good.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = Options.parse(arguments, command: "queue", flags: ["--dead"], help: help),
            let config = options.loadConfig(command: "queue")
        else { return 2 }
        let queue: ReportQueue
        do {
            queue = try ReportQueue(stateDirectory: config.stateDirectory)
        } catch {
            printError("crashfwd queue: cannot open the queue in \(config.stateDirectory): \(error)")
            return 1
        }
        let words = options.positional
        switch words.first {
        case "list", nil: return list(queue, json: options.json)
        case "show": return withID(words) { show(queue, id: $0, json: options.json) }
        case "retry":
            if options.flags.contains("--dead") { return retryDead(queue) }
            return withID(words) { retry(queue, id: $0) }
        case "drop": return withID(words) { drop(queue, id: $0) }
        default:
            printError("crashfwd queue: unknown action '\(words[0])'\n\n\(help)")
            return 2
        }
    }

    static func withID(_ words: [String], _ action: (String) -> Int32) -> Int32 {
        guard words.count == 2 else {
            printError("crashfwd queue \(words[0]): needs one report ID (see 'crashfwd queue list')")
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
    }

    static func list(_ queue: ReportQueue, json: Bool) -> Int32 {
        var rows: [Row] = []
        for id in queue.entries().sorted(by: { $0.value.createdAt < $1.value.createdAt }).map(\.key) {
            guard let report = try? queue.load(id) else { continue }
            rows.append(row(report))
        }
        if json { return printJSON(rows) }
        if rows.isEmpty {
            print("The queue is empty.")
            return 0
        }
        print(pad("ID", 34) + pad("STATE", 9) + pad("FEEDBACK", 10) + pad("TRIES", 6) + pad("MATCHER", 18) + "LAST ERROR")
        for row in rows {
            print(pad(row.id, 34) + pad(row.state, 9) + pad(row.feedbackID ?? "-", 10) + pad("\(row.attempts)", 6) + pad(row.matcher, 18) + (row.lastError ?? ""))
        }
        return 0
    }

    static func row(_ report: Report) -> Row {
        Row(
            id: report.id, state: report.state.rawValue, destination: report.destination,
            matcher: report.detection.matcher, attempts: report.attempts, feedbackID: report.feedbackID,
            createdAt: iso(report.createdAt),
            nextAttemptAt: report.isPending ? iso(report.nextAttemptAt) : nil,
            lastError: report.lastError)
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
        for attachment in report.attachments {
            print("  attachment:   \(attachment.element)/\(attachment.fileName.isEmpty ? "-" : attachment.fileName) \(attachment.state.rawValue), \(attachment.bytesSent) of \(attachment.size) bytes sent, \(attachment.attempts) attempt(s)\(attachment.lastError.map { ": \($0)" } ?? "")")
        }
        print("  body:         \(report.body ?? "(not rendered)")")
        print("  block:")
        for line in report.detection.lines { print("    \(line)") }
        return 0
    }

    static func retry(_ queue: ReportQueue, id: String) -> Int32 {
        guard var report = load(queue, id) else { return 1 }
        guard report.state != .done else {
            printError("crashfwd queue retry: report \(id) is already done (feedback id \(report.feedbackID ?? "-"))")
            return 1
        }
        if report.state == .dead { report.state = report.feedbackID == nil ? .queued : .created }
        report.nextAttemptAt = 0
        do {
            try queue.save(report)
        } catch {
            printError("crashfwd queue retry: cannot save report \(id): \(error)")
            return 1
        }
        print("Report \(id) is queued for an attempt now.")
        return 0
    }

    static func retryDead(_ queue: ReportQueue) -> Int32 {
        let dead = queue.entries().filter { $0.value.state == .dead }.map(\.key).sorted()
        var failures: Int32 = 0
        for id in dead where retry(queue, id: id) != 0 { failures = 1 }
        print("\(dead.count) dead report(s) queued again.")
        return failures
    }

    static func drop(_ queue: ReportQueue, id: String) -> Int32 {
        guard load(queue, id) != nil else { return 1 }
        do {
            try queue.remove(id)
        } catch {
            printError("crashfwd queue drop: cannot delete report \(id): \(error)")
            return 1
        }
        print("Report \(id) deleted.")
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
