/// Checks that every template variable a destination uses exists for each matcher that
/// sends to it.
struct TemplateChecker {
    let config: Config
    let problems: ProblemList

    func check() {
        for matcher in config.matchers {
            guard let destination = config.destinations[matcher.destination] else { continue }
            let known = TemplateVariables.names(for: matcher)
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

    public static func names(for matcher: MatcherConfig) -> Set<String> {
        var names = Set(builtins)
        for field in matcher.fields { names.insert(field.key) }
        if let start = matcher.start, let regex = try? Regex(start) {
            names.formUnion(regex.groupNames)
        }
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
