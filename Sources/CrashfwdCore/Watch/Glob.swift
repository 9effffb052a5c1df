#if canImport(Glibc)
    import Glibc
#endif

/// A shell glob such as `/var/log/app/*.log`, matched with fnmatch(3).
public struct Glob: Sendable {
    public let pattern: String

    public init(_ pattern: String) { self.pattern = pattern }

    public var hasWildcards: Bool { pattern.contains { "*?[".contains($0) } }

    public func matches(_ path: String) -> Bool {
        fnmatch(pattern, path, FNM_PATHNAME) == 0
    }

    /// Lists the existing paths that match, sorted, with glob(3).
    public func expand() -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }.sorted()
    }
}
