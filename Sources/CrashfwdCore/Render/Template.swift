/// A parameter template such as `{{program}} crashed with {{signal | default: unknown}}`.
///
/// The template is parsed once, when the config is loaded. Rendering substitutes values as
/// plain text: a value that itself contains `{{...}}` is never parsed again, so text
/// captured from a log cannot inject template syntax.
///
/// Filters, applied left to right: `default: TEXT` (when the value is empty or missing),
/// `truncate: N` (at most N characters), `lower`, `upper`, `trim`, `oneline` (newlines
/// become spaces).
public struct Template: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case literal(String)
        case variable(name: String, filters: [Filter])
    }

    enum Filter: Sendable, Equatable {
        case defaultValue(String)
        case truncate(Int)
        case lower
        case upper
        case trim
        case oneline
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    let parts: [Part]
    public let source: String

    /// Every variable name the template refers to, in order of first use.
    public var variables: [String] {
        var seen: [String] = []
        for case .variable(let name, _) in parts where !seen.contains(name) { seen.append(name) }
        return seen
    }

    public init(_ source: String) throws {
        self.source = source
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex {
                parts.append(.literal(String(rest[..<open.lowerBound])))
            }
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else {
                throw ParseError(message: "'{{' has no matching '}}' in template '\(source)'")
            }
            parts.append(
                try Template.parseVariable(String(afterOpen[..<close.lowerBound]), in: source))
            rest = afterOpen[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    static func parseVariable(_ expression: String, in source: String) throws -> Part {
        let pieces = expression.split(separator: "|", omittingEmptySubsequences: false)
        let name = pieces[0].description.trimmed()
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) })
        else {
            throw ParseError(
                message:
                    "invalid variable name '\(name)' in template '\(source)': use letters, digits, '_', '-' and '.'"
            )
        }
        let filters = try pieces.dropFirst().map {
            try parseFilter($0.description.trimmed(), in: source)
        }
        return .variable(name: name, filters: filters)
    }

    static func parseFilter(_ text: String, in source: String) throws -> Filter {
        let colon = text.firstIndex(of: ":")
        let name = colon.map { String(text[..<$0]).trimmed() } ?? text
        let argument = colon.map { String(text[text.index(after: $0)...]).trimmed() }
        switch (name, argument) {
        case ("default", let value?): return .defaultValue(value)
        case ("truncate", let value?):
            guard let count = Int(value), count > 0 else {
                throw ParseError(
                    message:
                        "truncate needs a positive number, found '\(value)' in template '\(source)'"
                )
            }
            return .truncate(count)
        case ("lower", nil): return .lower
        case ("upper", nil): return .upper
        case ("trim", nil): return .trim
        case ("oneline", nil): return .oneline
        default:
            throw ParseError(
                message:
                    "unknown filter '\(text)' in template '\(source)': use default: TEXT, truncate: N, lower, upper, trim or oneline"
            )
        }
    }

    /// Renders the template; `lookup` returns nil for a variable that has no value.
    public func render(_ lookup: (String) -> String?) -> String {
        var output = ""
        for part in parts {
            switch part {
            case .literal(let text):
                output += text
            case .variable(let name, let filters):
                output += filters.reduce(lookup(name) ?? "") { Template.apply($1, to: $0) }
            }
        }
        return output
    }

    static func apply(_ filter: Filter, to value: String) -> String {
        switch filter {
        case .defaultValue(let fallback): return value.isEmpty ? fallback : value
        case .truncate(let count): return value.count > count ? String(value.prefix(count)) : value
        case .lower: return value.lowercased()
        case .upper: return value.uppercased()
        case .trim: return value.trimmed()
        case .oneline: return value.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }
}
