import CrashfwdCore

enum SendTestCommand {
    static let help = """
        Usage: crashfwd send-test [--config PATH] [DESTINATION]

        Creates one ticket labelled as a crashfwd test in a destination (default: the
        first one by name), through the same rendering and HTTP path as real crashes, and
        prints the feedback id. Use it after installing to check the URL, key and form.
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let options = Options.parse(arguments, command: "send-test", help: help),
            let config = options.loadConfig(command: "send-test")
        else { return 2 }
        Log.configure(level: options.logLevel ?? .warning)
        let name = options.positional.first ?? config.destinations.keys.sorted().first ?? ""
        guard let destination = config.destinations[name] else {
            printError(
                "crashfwd send-test: unknown destination '\(name)'; known: \(config.destinations.keys.sorted().joined(separator: ", "))"
            )
            return 2
        }
        let detection = Detection(
            matcher: "send-test", destination: name, source: "crashfwd send-test",
            captures: [
                "kind": "test", "program": "crashfwd-send-test", "pid": "0", "signal": "SIGTEST",
                "exception": "TestTicket", "message": "crashfwd test ticket: this is not a crash",
            ],
            lines: ["crashfwd send-test: this ticket checks the connection and is not a crash"],
            fingerprint: "send-test", firstRecordID: "send-test-\(Clock.microseconds())",
            timestamp: Clock.microseconds())
        do {
            let renderer = ReportRenderer(destination: destination, device: DeviceFacts.current())
            let body = try renderer.body(for: detection, reportID: detection.reportID)
            let client = try HTTPClient(options: TransportOptions(destination: destination))
            let response = try client.postJSON(url: destination.createURL, body: body)
            guard RetryPolicy.classify(status: response.status) == .success else {
                printError(
                    "crashfwd send-test: the test ticket was rejected with HTTP \(response.status): \(Redactor.shared.redact(response.bodyText))"
                )
                return 1
            }
            print(
                "Test ticket created in '\(name)' (HTTP \(response.status)): \(Redactor.shared.redact(response.bodyText))"
            )
            return 0
        } catch {
            printError("crashfwd send-test: \(Redactor.shared.redact("\(error)"))")
            return 1
        }
    }
}
