/// Checks that every template variable a destination uses exists for each matcher that
/// sends to it.
struct TemplateChecker {
    let config: Config
    let problems: ProblemList

    /// Reports each undefined variable once per parameter, at the parameter's position,
    /// naming the matchers that lack it.
    func check() {
        var missing: [String: (node: YAMLNode?, matchers: [String], known: Set<String>)] = [:]
        var order: [String] = []
        for matcher in config.matchers {
            guard let destination = config.destinations[matcher.destination] else { continue }
            let known = TemplateVariables.names(for: matcher, folding: config.folding)
            for parameter in destination.parameters {
                let key = "destinations.\(destination.name).parameters.\(parameter.name)"
                for name in parameter.template.variables
                where !TemplateVariables.isKnown(name, known) {
                    let id = "\(key)\n\(name)"
                    if missing[id] == nil {
                        order.append(id)
                        missing[id] = (problems.positions[key], [], known)
                    }
                    missing[id]?.matchers.append(matcher.name)
                }
            }
        }
        for id in order {
            guard let entry = missing[id], let first = entry.matchers.first else { continue }
            let parts = id.split(separator: "\n", maxSplits: 1).map(String.init)
            let others =
                entry.matchers.count > 1 ? " and \(entry.matchers.count - 1) more matcher(s)" : ""
            problems.add(
                entry.node, parts[0],
                "template variable '\(parts[1])' is not defined for matcher '\(first)'\(others); '\(first)' has: \(entry.known.sorted().joined(separator: ", ")), device.*, journal.*"
            )
        }
    }
}

/// The variables a template can use for a given matcher.
public enum TemplateVariables {
    /// Variables every report has.
    public static let builtins = [
        "matcher", "fingerprint", "block", "line", "context", "source", "time", "truncated",
        "report_id",
    ]

    /// Captures of a folding summary report (see `CrashFolder`).
    public static let summaryCaptures = ["summary", "occurrences", "first_seen", "last_seen"]

    /// Returns the variables of a matcher's reports: the builtins, its static fields, the
    /// named groups of all its patterns, its journal captures and declared captures.
    public static func names(for matcher: MatcherConfig, folding: FoldingConfig = FoldingConfig())
        -> Set<String>
    {
        var names = Set(builtins)
        for field in matcher.fields { names.insert(field.key) }
        for (_, pattern) in matcher.patterns {
            if let regex = try? Regex(pattern) { names.formUnion(regex.groupNames) }
        }
        for capture in matcher.journalCaptures { names.insert(capture.key) }
        names.formUnion(matcher.declaredCaptures)
        if matcher.programFromPrefix { names.formUnion(["program", "pid"]) }
        if folding.enabled && folding.summary { names.formUnion(summaryCaptures) }
        return names
    }

    static func isKnown(_ name: String, _ known: Set<String>) -> Bool {
        if known.contains(name) { return true }
        if name.hasPrefix("journal.") { return true }
        if name.hasPrefix("device.") {
            return DeviceFacts.variableNames.contains(String(name.dropFirst("device.".count)))
        }
        return false
    }
}
