import Foundation

/// A ticket as returned by the sandbox's `/sandbox/tickets` endpoints.
struct SandboxTicket {
    var id: Int
    var project: String
    var source: String
    var receivedAt: String
    /// The posted JSON object, as decoded by JSONSerialization.
    var parameters: [String: Any]
    var attachments: [SandboxAttachment]

    init(json: [String: Any]) throws {
        guard let id = json["id"] as? Int, let project = json["project"] as? String,
            let source = json["source"] as? String, let receivedAt = json["receivedAt"] as? String,
            let parameters = json["parameters"] as? [String: Any],
            let attachments = json["attachments"] as? [[String: Any]]
        else {
            throw TestSupportError("Unexpected ticket JSON from the sandbox: \(json)")
        }
        self.id = id
        self.project = project
        self.source = source
        self.receivedAt = receivedAt
        self.parameters = parameters
        self.attachments = try attachments.map(SandboxAttachment.init(json:))
    }

    /// Returns a parameter as text: strings as they are, numbers in decimal, arrays joined by ",".
    func parameter(_ name: String) -> String? {
        switch parameters[name] {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        case let array as [Any]: return array.map { "\($0)" }.joined(separator: ",")
        default: return nil
        }
    }
}

struct SandboxAttachment: Equatable {
    var element: String
    var name: String
    var size: Int64
    var sha256: String

    init(element: String, name: String, size: Int64, sha256: String) {
        self.element = element
        self.name = name
        self.size = size
        self.sha256 = sha256
    }

    init(json: [String: Any]) throws {
        guard let element = json["element"] as? String, let name = json["name"] as? String,
            let size = (json["size"] as? NSNumber)?.int64Value,
            let sha256 = json["sha256"] as? String
        else {
            throw TestSupportError("Unexpected attachment JSON from the sandbox: \(json)")
        }
        self.init(element: element, name: name, size: size, sha256: sha256)
    }
}

/// One API request from `/sandbox/requests`; `status` 0 means the connection was dropped.
struct SandboxRequest: Decodable {
    var time: String
    var method: String
    var path: String
    var status: Int
    var bytesIn: Int64
}

struct SandboxStats: Decodable {
    var requests: Int
    var maxPerSecond: Int
    var tickets: Int
    var rejectedRateLimit: Int
}
