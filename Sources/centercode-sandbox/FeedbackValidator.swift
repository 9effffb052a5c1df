import Foundation

/// Checks a create-ticket body against one source's form, as the service would.
///
/// Returns nil when the body is valid, or the 400 description naming the parameter and,
/// where there is a fixed set, the allowed values.
struct FeedbackValidator {
    let source: SourceConfig

    func validate(_ parameters: [String: JSONValue]) -> String? {
        if let problem = checkSubmitter(parameters["submitter"]) { return problem }
        if let problem = checkStatus(parameters["status"]) { return problem }
        for name in source.required where parameters[name]?.isEmpty ?? true {
            return "Missing required parameter '\(name)'."
        }
        for (name, options) in source.singleChoice.sorted(by: { $0.key < $1.key }) {
            if let problem = checkChoice(parameters[name], name: name, options: options) {
                return problem
            }
        }
        for (name, options) in source.ratingScale.sorted(by: { $0.key < $1.key }) {
            if let problem = checkRating(parameters[name], name: name, options: options) {
                return problem
            }
        }
        for (name, options) in source.multipleChoice.sorted(by: { $0.key < $1.key }) {
            if let problem = checkMultipleChoice(parameters[name], name: name, options: options) {
                return problem
            }
        }
        return nil
    }

    private func checkSubmitter(_ value: JSONValue?) -> String? {
        guard let value, value != .null else {
            if source.defaultSubmitter != nil { return nil }
            return "Missing required parameter 'submitter': this source has no default "
                + "submitter, so give the email of a project member."
        }
        guard let email = value.stringValue else {
            return "Invalid submitter: 'submitter' must be a string holding a member's email."
        }
        let isMember = source.members.contains { $0.lowercased() == email.lowercased() }
        return isMember ? nil : "Invalid submitter: '\(email)' is not a member of this project."
    }

    private func checkStatus(_ value: JSONValue?) -> String? {
        let allowed = Self.list(source.statuses)
        guard let value, value != .null else {
            return source.statusRequired
                ? "Missing required parameter 'status'. Allowed statuses: \(allowed)." : nil
        }
        guard let status = value.stringValue, source.statuses.contains(status) else {
            return "Invalid status \(Self.show(value)) for parameter 'status'. "
                + "Allowed statuses: \(allowed)."
        }
        return nil
    }

    private func checkChoice(_ value: JSONValue?, name: String, options: [String]) -> String? {
        guard let value, value != .null else { return nil }
        if let text = value.stringValue, options.contains(text) { return nil }
        return Self.invalidOption(value, name: name, options: options)
    }

    private func checkRating(_ value: JSONValue?, name: String, options: [String]) -> String? {
        guard let value, value != .null else { return nil }
        if let text = value.stringValue ?? value.decimalText, options.contains(text) { return nil }
        return Self.invalidOption(value, name: name, options: options)
    }

    private func checkMultipleChoice(_ value: JSONValue?, name: String, options: [String])
        -> String?
    {
        guard let value, value != .null else { return nil }
        let items: [JSONValue]
        if case .array(let array) = value {
            items = array
        } else {
            items = [value]
        }
        for item in items {
            guard let text = item.stringValue, options.contains(text) else {
                return Self.invalidOption(item, name: name, options: options)
            }
        }
        return nil
    }

    private static func invalidOption(_ value: JSONValue, name: String, options: [String])
        -> String
    {
        "Invalid value \(show(value)) for parameter '\(name)'. Allowed options (exact case "
            + "and spacing): \(list(options))."
    }

    private static func list(_ values: [String]) -> String {
        values.map { "'\($0)'" }.joined(separator: ", ")
    }

    private static func show(_ value: JSONValue) -> String {
        if let text = value.stringValue { return "'\(text)'" }
        return String(decoding: encodeJSON(value), as: UTF8.self)
    }
}
