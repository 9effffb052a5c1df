/// Checks that every template variable a destination uses exists for each matcher that
/// sends to it.
struct TemplateChecker {
    let config: Config
    let problems: ProblemList

    func check() {
        for matcher in config.matchers {
            guard let destination = config.destinations[matcher.destination] else { continue }
            let known = TemplateVariables.names(for: matcher, folding: config.folding)
            for parameter in destination.parameters {
                for name in parameter.template.variables where !TemplateVariables.isKnown(name, known) {
                    problems.add(
                        nil, "destinations.\(destination.name).parameters.\(parameter.name)",
                        "template variable '\(name)' is not defined for matcher '\(matcher.name)'; it has: \(known.sorted().joined(separator: ", ")), device.*, journal.*")
                }
            }
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
