import Foundation
import Testing

/// A scaled-down fleet power-on: many daemons with crashes waiting in their logs start
/// together against one sandbox that answers 429 beyond its rate limit. Checks correctness
/// only (every crash ticketed exactly once, a bounded request rate), never timing.
@Suite(.serialized)
struct FleetTests {
    static let instances = 20
    static let reportsPerInstance = 5
    static let rateLimit = 10

    @Test func fleetTicketsEachCrashOnce() throws {
        let sandbox = try SandboxServer(extraArguments: ["--rate-limit", String(Self.rateLimit)])
        var fleet: [CrashfwdProcess] = []
        for node in 1...Self.instances {
            let crashfwd = try CrashfwdProcess(config: Self.config(sandbox: sandbox, node: node))
            try crashfwd.append(
                (1...Self.reportsPerInstance).map {
                    CrashfwdProcess.segfaultLine(pid: node * 1000 + $0)
                })
            fleet.append(crashfwd)
        }
        for crashfwd in fleet {
            try crashfwd.start()
        }

        let expected = Self.instances * Self.reportsPerInstance
        try waitUntil("all \(expected) tickets exist", timeout: 90) {
            try sandbox.tickets().count >= expected
        }
        // Late duplicates, if any, arrive while the fleet keeps running for a moment.
        usleep(1_000_000)
        for crashfwd in fleet {
            #expect(crashfwd.isRunning, "crashfwd \(crashfwd.pid) exited:\n\(crashfwd.log)")
            crashfwd.stop()
        }

        let summaries = try sandbox.tickets().compactMap { $0.parameter("summary") }
        #expect(summaries.count == expected)
        #expect(Set(summaries).count == expected, "duplicate tickets: \(Self.repeated(summaries))")
        for node in 1...Self.instances {
            for report in 1...Self.reportsPerInstance {
                let summary = "node-\(node) camera-daemon crashed, pid \(node * 1000 + report)"
                #expect(summaries.contains(summary), "no ticket \"\(summary)\"")
            }
        }

        // With rate_limit 1 and its token bucket's burst of 1, a daemon sends at most two
        // requests in any one wall-clock second, 429s included, and fewer while a 429
        // paces it, so the fleet's peak is bounded by twice its size whatever the
        // sandbox's limit.
        // NOTE: the fleet-wide bound (the sandbox's limit plus a small burst) also needs
        // startup_delay, which counts from boot; bench/fleet.sh runs each daemon in a time
        // namespace to exercise it, which this test does not.
        let stats = try sandbox.stats()
        #expect(stats.maxPerSecond <= 2 * Self.instances, "sandbox stats: \(stats)")
        #expect(stats.tickets == expected)
    }

    /// A config that reads TEST_DIR/app.log from its start, with the delivery pacing keys
    /// and a summary that names the node and the crash's pid.
    static func config(sandbox: SandboxServer, node: Int) -> String {
        """
        state_directory: TEST_DIR/state
        log_level: info
        watch:
          files:
            - path: TEST_DIR/app.log
              start_at: beginning
        detect:
          destination: sandbox
          matchers:
        \(CrashfwdProcess.segfaultMatcher)
        delivery:
          initial_backoff: 200ms
          maximum_backoff: 5s
          startup_delay: 0s
          max_in_flight: 1
          rate_limit: 1
        destinations:
          sandbox:
            url: \(sandbox.baseURL)
            allow_http: true
            project: acme-beta-2
            source: appcrashlog
            api_key_env: CENTERCODE_API_KEY
            parameters:
              submitter: qa-bot@example.com
              summary: "node-\(node) {{program}} crashed, pid {{pid}}"
              description: "{{context}}"
        """
    }

    static func repeated(_ values: [String]) -> [String] {
        Dictionary(grouping: values, by: { $0 }).filter { $0.value.count > 1 }.map(\.key).sorted()
    }
}
