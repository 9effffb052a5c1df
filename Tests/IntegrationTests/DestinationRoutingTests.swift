import Foundation
import Testing

/// Matchers send their reports to different External Sources of one project.
@Suite struct DestinationRoutingTests {
    static let sandboxConfig = """
        {
          "apiKey": "\(SandboxServer.defaultAPIKey)",
          "project": "acme-beta-2",
          "sources": {
            "appcrashlog": {"defaultSubmitter": null, "members": ["qa-bot@example.com"], "required": ["summary"]},
            "kernelcrash": {"defaultSubmitter": "kernel-team@example.com", "members": [], "required": ["summary"],
                            "statusRequired": true, "statuses": ["New", "Triage"]}
          }
        }
        """

    @Test func matchersRouteToTheirDestination() throws {
        let sandbox = try SandboxServer(config: Self.sandboxConfig)
        let matchers = """
                - name: app-abort
                  destination: apps
                  pattern: '(?<program>[\\w.-]+)\\[(?<pid>\\d+)\\]: free\\(\\): invalid pointer'
                - name: kernel-segfault
                  destination: kernel
                  pattern: 'kernel: (?<program>[\\w.-]+)\\[(?<pid>\\d+)\\]: segfault at'
            """
        let config = """
            state_directory: TEST_DIR/state
            watch:
              files:
                - path: TEST_DIR/app.log
                  start_at: beginning
            detect:
              matchers:
            \(matchers)
            delivery:
              startup_delay: 0s
            destinations:
              apps:
                url: \(sandbox.baseURL)
                allow_http: true
                project: acme-beta-2
                source: appcrashlog
                api_key_env: CENTERCODE_API_KEY
                parameters:
                  submitter: qa-bot@example.com
                  summary: "{{program}} aborted"
              kernel:
                url: \(sandbox.baseURL)
                allow_http: true
                project: acme-beta-2
                source: kernelcrash
                api_key_env: CENTERCODE_API_KEY
                default_submitter: true
                parameters:
                  summary: "{{program}} segfaulted"
                  status: New
            """
        let crashfwd = try CrashfwdProcess(config: config)
        try crashfwd.start()
        try crashfwd.append([
            "Dec  4 10:00:06 rig01 media-indexer[3310]: free(): invalid pointer",
            CrashfwdProcess.segfaultLine(program: "modem-manager", pid: 3311),
        ])
        try waitUntil("both tickets exist") { try sandbox.tickets().count == 2 }
        crashfwd.stop()

        let bySource = Dictionary(grouping: try sandbox.tickets(), by: \.source)
        #expect(bySource["appcrashlog"]?.first?.parameter("summary") == "media-indexer aborted")
        #expect(bySource["kernelcrash"]?.first?.parameter("summary") == "modem-manager segfaulted")
        #expect(bySource["kernelcrash"]?.first?.parameter("status") == "New")
        #expect(bySource["kernelcrash"]?.first?.parameter("submitter") == nil)
    }
}
