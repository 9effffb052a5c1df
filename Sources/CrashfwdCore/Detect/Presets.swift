/// Built-in matchers for common crash formats, enabled by name in `detect.presets`.
///
/// Every preset sets the `kind` field to its name and, where the crash output has them,
/// the captures `program`, `pid`, `signal` or `exception`, `message` and `top_frame`.
/// `docs/presets.md` shows an example of each.
public enum Presets {
    /// Capture names every preset may set, so templates can use them with any preset.
    public static let standardCaptures = [
        "kind", "program", "pid", "signal", "exception", "message", "top_frame",
    ]

    /// The preset names, in the order their matchers are tried.
    public static let names = [
        "systemd-coredump", "kernel-oops", "kernel-panic", "segfault", "oom-kill",
        "systemd-unit", "python", "java", "go", "rust", "sanitizer", "glibc-abort",
        "cxx-terminate", "node",
    ]

    /// Returns the matchers of the named presets (`all` selects every preset), each sending
    /// to `destination`. Names that are neither `all` nor a preset are returned in
    /// `unknown`, also when `all` is in the list.
    public static func matchers(named requested: [String], destination: String)
        -> (matchers: [MatcherConfig], unknown: [String])
    {
        let selected = requested.contains("all") ? names : requested
        var unknown: [String] = []
        for name in requested where name != "all" && !names.contains(name) {
            if !unknown.contains(name) { unknown.append(name) }
        }
        var result: [MatcherConfig] = []
        for name in names where selected.contains(name) {
            for var matcher in definitions(name) {
                matcher.destination = destination
                matcher.fields.insert((key: "kind", value: name), at: 0)
                matcher.declaredCaptures = standardCaptures
                matcher.matchesMessageOnly = true
                result.append(matcher)
            }
        }
        return (result, unknown)
    }

    static func definitions(_ name: String) -> [MatcherConfig] {
        switch name {
        case "systemd-coredump": return systemdCoredump
        case "kernel-oops": return [kernelOops]
        case "kernel-panic": return [kernelPanic]
        case "segfault": return [segfault]
        case "oom-kill": return [oomKill]
        case "systemd-unit": return [systemdUnit]
        case "python": return [python]
        case "java": return [java]
        case "go": return [go]
        case "rust": return [rust]
        case "sanitizer": return [sanitizer]
        case "glibc-abort": return [glibcAbort]
        case "cxx-terminate": return [cxxTerminate]
        case "node": return [node]
        default: return []
        }
    }
}
