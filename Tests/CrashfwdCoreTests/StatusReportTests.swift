import FoundationEssentials
import Testing

@testable import CrashfwdCore

@Suite struct StatusReportTests {
    static func report(paced: [String: Double]?) -> StatusReport {
        StatusReport(
            version: "0.1.0", pid: 42, startedAt: 0, updatedAt: 0, configFile: "/etc/c.yaml",
            stateDirectory: "/var/lib/crashfwd", destinations: ["lab", "beta"], sources: [],
            crashesDetected: 3, ticketsCreated: 2, duplicatesSkipped: 0, deliveryFailures: [:],
            configReloads: 0, configReloadFailures: 0,
            queue: QueueSummary(counts: [.queued: 1], oldestPendingCreatedAt: 0),
            pausedDestinations: ["lab": 100], pacedDestinations: paced, lastDelivery: nil,
            lastError: nil, lastErrorAt: nil)
    }

    @Test func statusLineNamesPacedDestinations() {
        let line = Self.report(paced: ["beta": 0.5]).statusLine
        #expect(line.contains("paused: lab"), "\(line)")
        #expect(line.contains("paced: beta"), "\(line)")
    }

    @Test func statusLineOmitsPacingWhenNone() {
        #expect(!Self.report(paced: [:]).statusLine.contains("paced"))
        #expect(!Self.report(paced: nil).statusLine.contains("paced"))
    }

    @Test func statusFileWithoutPacingDecodes() throws {
        var json = String(decoding: try JSONCoding.encode(Self.report(paced: nil)), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"pacedDestinations\":null,", with: "")
        #expect(!json.contains("pacedDestinations"), "\(json)")
        let decoded = try JSONCoding.decode(StatusReport.self, from: Array(json.utf8))
        #expect(decoded.pacedDestinations == nil)
        #expect(decoded.ticketsCreated == 2)
    }

    @Test func statisticsRecordsAndClearsPacing() {
        let statistics = Statistics()
        statistics.destinationPaced("beta", rate: 0.25)
        #expect(statistics.snapshot.pacedDestinations == ["beta": 0.25])
        statistics.destinationPaced("beta", rate: nil)
        #expect(statistics.snapshot.pacedDestinations.isEmpty)
    }
}
