/// A static check for patterns that can backtrack catastrophically, such as `(a+)+`,
/// `(.*)*` and `(\w+\s?)*`: a quantified group whose body itself contains an unbounded
/// quantifier. On a long line that nearly matches, PCRE2 tries exponentially many ways to
/// split the text between the inner and the outer repeat.
///
/// The check is a heuristic over the pattern text. It does not parse character classes
/// beyond skipping them, and it warns about some safe patterns (`(ab+)*` cannot backtrack
/// badly because each repeat must start with `a`). It never rejects a pattern.
enum PatternCheck {
    /// Records a warning when `pattern` has a nested unbounded quantifier.
    static func warnIfPathological(
        _ pattern: String, node: YAMLNode?, key: String, problems: ProblemList
    ) {
        guard let group = nestedQuantifier(in: pattern) else { return }
        problems.warn(
            node, key,
            "the group '\(group)' repeats a part that itself repeats without bound, so a long line that nearly matches can take exponential time; make the inner part possessive ('a++') or atomic ('(?>...)'), or anchor it to a delimiter"
        )
    }

    /// Returns the first quantified group whose body contains `*`, `+` or `{n,}`, or nil.
    static func nestedQuantifier(in pattern: String) -> String? {
        let characters = Array(pattern)
        // For each open group: its start index and whether its body has an unbounded repeat.
        var stack: [(start: Int, hasRepeat: Bool)] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "\\":
                index += 1
            case "[":
                index = classEnd(characters, from: index)
            case "(":
                stack.append((start: index, hasRepeat: false))
            case ")":
                guard var group = stack.popLast() else { break }
                let repeated =
                    isUnboundedQuantifier(characters, at: index + 1)
                    && !isPossessive(characters, at: index + 1)
                // An atomic group `(?>...)` never gives back what its body matched.
                if characters[group.start...].starts(with: "(?>") { group.hasRepeat = false }
                if group.hasRepeat && repeated {
                    return String(characters[group.start...index]) + String(characters[index + 1])
                }
                // A group that repeats, or holds a repeat, makes its parent hold one too.
                if (group.hasRepeat || repeated) && !stack.isEmpty {
                    stack[stack.count - 1].hasRepeat = true
                }
            default:
                if isUnboundedQuantifier(characters, at: index)
                    && !isPossessive(characters, at: index)
                    && !stack.isEmpty
                {
                    stack[stack.count - 1].hasRepeat = true
                }
            }
            index += 1
        }
        return nil
    }

    /// True for `*`, `+` or `{n,}` at `index`, but not for the `+` of a possessive `a*+`
    /// or the `?` of a group opener.
    static func isUnboundedQuantifier(_ characters: [Character], at index: Int) -> Bool {
        guard index < characters.count else { return false }
        switch characters[index] {
        case "*": return true
        case "+": return index == 0 || !"*+?}".contains(characters[index - 1])
        case "{":
            guard let close = characters[index...].firstIndex(of: "}") else { return false }
            let body = String(characters[(index + 1)..<close])
            return body.hasSuffix(",") && Int(body.dropLast()) != nil
        default: return false
        }
    }

    /// True when the quantifier at `index` is followed by `+`, which makes it possessive
    /// so it never gives back what it matched.
    static func isPossessive(_ characters: [Character], at index: Int) -> Bool {
        var end = index
        if characters[index] == "{", let close = characters[index...].firstIndex(of: "}") {
            end = close
        }
        return end + 1 < characters.count && characters[end + 1] == "+"
    }

    /// Returns the index of the `]` that closes the class opened at `start`.
    static func classEnd(_ characters: [Character], from start: Int) -> Int {
        var index = start + 1
        if index < characters.count && characters[index] == "^" { index += 1 }
        if index < characters.count && characters[index] == "]" { index += 1 }
        while index < characters.count && characters[index] != "]" {
            if characters[index] == "\\" { index += 1 }
            index += 1
        }
        return index
    }
}
