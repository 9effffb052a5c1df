import Foundation

/// The effect of a matching fault rule on a request.
enum FaultAction: String, Codable, Sendable, CaseIterable {
    /// Respond with the rule's status, Retry-After and body, and store nothing.
    case respond
    /// Sleep `delayMs`, then handle the request normally.
    case delay
    /// Drop the connection without any response; store nothing.
    case closeBeforeResponse = "close-before-response"
    /// Store as usual, send the headers and part of the body, then drop the connection.
    case closeMidResponse = "close-mid-response"
    /// Store as usual, then drop the connection before responding.
    case acceptThenDrop = "accept-then-drop"
    /// Drop the connection while the request body is arriving; store nothing.
    case closeMidRequest = "close-mid-request"
}

/// A fault rule as posted to `/sandbox/faults` or loaded with `--faults`.
struct FaultRule: Codable, Sendable {
    var method: String?
    var pathContains: String?
    /// Matching requests to let through before the rule applies.
    var skip: Int
    /// Matching requests the rule still applies to; -1 means every one.
    var times: Int
    var status: Int
    var retryAfter: String?
    var body: String?
    var delayMs: Int
    var action: FaultAction

    enum CodingKeys: String, CodingKey {
        case method, pathContains, skip, times, status, retryAfter, body, delayMs, action
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        method = try container.decodeIfPresent(String.self, forKey: .method)
        pathContains = try container.decodeIfPresent(String.self, forKey: .pathContains)
        skip = try container.decodeIfPresent(Int.self, forKey: .skip) ?? 0
        times = try container.decodeIfPresent(Int.self, forKey: .times) ?? 1
        status = try container.decodeIfPresent(Int.self, forKey: .status) ?? 503
        retryAfter = try container.decodeIfPresent(String.self, forKey: .retryAfter)
        body = try container.decodeIfPresent(String.self, forKey: .body)
        delayMs = try container.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0
        action = try container.decodeIfPresent(FaultAction.self, forKey: .action) ?? .respond
    }

    init(action: FaultAction, status: Int = 503) {
        self.action = action
        self.status = status
        skip = 0
        times = 1
        delayMs = 0
    }

    func matches(method requestMethod: String, path: String) -> Bool {
        if let method, method.uppercased() != requestMethod.uppercased() { return false }
        if let pathContains, !path.contains(pathContains) { return false }
        return true
    }

    /// Decodes a JSON array of rules, with an error naming the problem and the allowed actions.
    static func decodeList(_ data: Data) throws -> [FaultRule] {
        do {
            let rules = try JSONDecoder().decode([FaultRule].self, from: data)
            for rule in rules where !(100...599).contains(rule.status) || rule.times < -1 {
                throw UsageError(
                    "Invalid fault rule: status \(rule.status) must be 100-599 and times "
                        + "\(rule.times) must be -1 or more.")
            }
            return rules
        } catch let error as UsageError {
            throw error
        } catch {
            let actions = FaultAction.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError(
                "Invalid fault rules: expected a JSON array of rule objects with action one of "
                    + "\(actions) (\(error)).")
        }
    }
}
