import Foundation
import Synchronization

/// One API request as returned by `/sandbox/requests`; status 0 means the connection was
/// dropped without a response.
struct RequestRecord: Codable, Sendable {
    var time: String
    var method: String
    var path: String
    var status: Int
    var bytesIn: Int64
}

/// The API requests seen since start, in arrival order, and the peak rate.
final class RequestLog: Sendable {
    private struct State {
        var records: [RequestRecord] = []
        var perSecond: [Int64: Int] = [:]
        var maxPerSecond = 0
    }

    private let state = Mutex(State())
    private let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    /// Appends a record and logs it to stderr unless quiet. `path` must already be redacted.
    func record(method: String, path: String, status: Int, bytesIn: Int64, arrival: Date) {
        let time = arrival.ISO8601Format(
            .iso8601.year().month().day().time(includingFractionalSeconds: true)
                .timeZone(separator: .omitted))
        let entry = RequestRecord(
            time: time, method: method, path: path, status: status, bytesIn: bytesIn)
        let second = Int64(arrival.timeIntervalSince1970.rounded(.down))
        state.withLock { state in
            state.records.append(entry)
            state.perSecond[second, default: 0] += 1
            state.maxPerSecond = max(state.maxPerSecond, state.perSecond[second] ?? 0)
        }
        if !quiet {
            let outcome = status == 0 ? "connection dropped" : "\(status)"
            logLine("\(time) \(method) \(path) -> \(outcome), \(bytesIn) bytes in")
        }
    }

    func records() -> [RequestRecord] { state.withLock { $0.records } }

    var count: Int { state.withLock { $0.records.count } }

    /// The most API requests that arrived within one wall-clock second.
    var maxPerSecond: Int { state.withLock { $0.maxPerSecond } }
}

/// Writes one line to stderr.
func logLine(_ line: String) {
    FileHandle.standardError.write(Data("centercode-sandbox: \(line)\n".utf8))
}
