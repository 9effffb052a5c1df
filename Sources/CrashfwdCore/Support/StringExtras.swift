/// Small text helpers that FoundationEssentials does not provide.
extension String {
    /// Replaces every occurrence of `target`.
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false)
            .joined(separator: replacement)
    }

    /// Removes leading and trailing spaces, tabs, carriage returns and newlines.
    func trimmed() -> String {
        // "\r\n" is one Character (one grapheme cluster), so it needs its own test.
        let blank: (Character) -> Bool = {
            $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n"
        }
        guard let first = firstIndex(where: { !blank($0) }),
            let last = lastIndex(where: { !blank($0) })
        else { return "" }
        return String(self[first...last])
    }
}
