/// One problem found in a config file, with its position and key path.
public struct ConfigProblem: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Severity: String, Sendable { case error, warning }

    public var file: String
    public var line: Int
    public var column: Int
    /// Dotted key path such as `destinations.crashes.url` or `matchers[2].pattern`.
    public var key: String
    public var message: String
    public var severity: Severity = .error

    public var description: String {
        let prefix = severity == .warning ? "warning: " : ""
        if line == 0 { return "\(file): \(prefix)\(message)" }
        if key.isEmpty { return "\(file):\(line):\(column): \(prefix)\(message)" }
        return "\(file):\(line):\(column): \(prefix)\(key): \(message)"
    }
}

/// Every error found while loading a config; loading goes on past the first one so that
/// `check-config` can list them all at once.
public struct ConfigErrors: Error, CustomStringConvertible, Sendable {
    public var problems: [ConfigProblem]

    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}

/// Collects problems while a config is read.
final class ProblemList {
    let file: String
    var problems: [ConfigProblem] = []
    /// Where keys that later checks refer to were defined, by key path, so those checks can
    /// report a position.
    var positions: [String: YAMLNode] = [:]

    init(file: String) { self.file = file }

    func add(_ node: YAMLNode?, _ key: String, _ message: String) {
        problems.append(
            ConfigProblem(
                file: file, line: node?.line ?? 1, column: node?.column ?? 1, key: key,
                message: message))
    }

    func warn(_ node: YAMLNode?, _ key: String, _ message: String) {
        problems.append(
            ConfigProblem(
                file: file, line: node?.line ?? 1, column: node?.column ?? 1, key: key,
                message: message, severity: .warning))
    }

    var errors: [ConfigProblem] { problems.filter { $0.severity == .error } }
    var warnings: [ConfigProblem] { problems.filter { $0.severity == .warning } }
}
