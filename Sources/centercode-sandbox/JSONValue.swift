import Foundation

/// A JSON document held as a Sendable value, so tickets can cross MHD threads.
enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Decodes UTF-8 JSON text, returning nil when it is not valid JSON.
    static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// The decimal text of a number, as a rating-scale option would spell it.
    var decimalText: String? {
        switch self {
        case .integer(let value):
            return String(value)
        case .number(let value):
            if value.rounded() == value, let exact = Int64(exactly: value) {
                return String(exact)
            }
            return String(value)
        default:
            return nil
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// True for null, "", [] and {}: values that do not satisfy a required parameter.
    var isEmpty: Bool {
        switch self {
        case .null: return true
        case .string(let value): return value.trimmingCharacters(in: .whitespaces).isEmpty
        case .array(let value): return value.isEmpty
        case .object(let value): return value.isEmpty
        default: return false
        }
    }
}

/// Encodes a value as compact JSON with sorted keys, for responses and ticket files.
func encodeJSON<Value: Encodable>(_ value: Value) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
        return try encoder.encode(value)
    } catch {
        // Every type encoded here holds only strings, numbers and collections of them.
        return Data("{\"status\": 500, \"description\": \"Encoding failed: \(error)\"}".utf8)
    }
}
