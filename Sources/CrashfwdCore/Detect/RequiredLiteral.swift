/// Finds a substring that every match of a regular expression contains, for the prefilter.
///
/// The analysis is deliberately conservative. It reads only the top level of the pattern
/// and treats every group, class and escape class as unknown text. It gives up on a
/// top-level alternation or any inline option, which might make the pattern caseless.
enum RequiredLiteral {
    /// The shortest literal worth filtering on; shorter ones match too many lines.
    static let minimumLength = 3

    /// Returns the longest required literal of `pattern`, or nil when none is found.
    static func extract(from pattern: String) -> String? {
        let characters = Array(pattern.unicodeScalars)
        var runs = Runs()
        var index = 0

        while index < characters.count {
            let character = characters[index]
            switch character {
            case "|":
                return nil
            case "(":
                if index + 1 < characters.count, characters[index + 1] == "?",
                    index + 2 < characters.count,
                    !"<:=!P'".unicodeScalars.contains(characters[index + 2])
                {
                    return nil
                }
                runs.end()
                guard let close = groupEnd(characters, from: index) else { return nil }
                index = close + 1
                skipQuantifier(characters, &index)
                continue
            case "[":
                runs.end()
                guard let close = classEnd(characters, from: index) else { return nil }
                index = close + 1
                skipQuantifier(characters, &index)
                continue
            case "\\":
                guard index + 1 < characters.count else { return nil }
                let escaped = characters[index + 1]
                index += 2
                if isLiteralEscape(escaped) {
                    appendLiteral(escaped, characters, &index, &runs)
                } else {
                    runs.end()
                    skipQuantifier(characters, &index)
                }
                continue
            case ".", "^", "$":
                runs.end()
                index += 1
                skipQuantifier(characters, &index)
                continue
            default:
                index += 1
                appendLiteral(character, characters, &index, &runs)
            }
        }
        runs.end()
        let longest = runs.finished.max { $0.count < $1.count } ?? []
        let text = String(String.UnicodeScalarView(longest))
        return text.utf8.count >= minimumLength ? text : nil
    }

    /// Appends a literal character, handling a quantifier after it: `?`, `*` and `{0`
    /// make it optional (so it is dropped), `+` and `{n` keep one copy but end the run.
    private static func appendLiteral(
        _ character: Unicode.Scalar, _ characters: [Unicode.Scalar], _ index: inout Int,
        _ runs: inout Runs
    ) {
        guard index < characters.count else {
            runs.current.append(character)
            return
        }
        switch characters[index] {
        case "?", "*":
            runs.end()
            skipQuantifier(characters, &index)
        case "+":
            runs.current.append(character)
            runs.end()
            skipQuantifier(characters, &index)
        case "{":
            let optional = index + 1 < characters.count && characters[index + 1] == "0"
            if !optional { runs.current.append(character) }
            runs.end()
            skipQuantifier(characters, &index)
        default:
            runs.current.append(character)
        }
    }

    /// The literal runs found so far and the one being read.
    private struct Runs {
        var finished: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []

        mutating func end() {
            if !current.isEmpty { finished.append(current) }
            current = []
        }
    }

    private static func isLiteralEscape(_ character: Unicode.Scalar) -> Bool {
        !(character.properties.isAlphabetic || ("0"..."9").contains(character))
    }

    private static func skipQuantifier(_ characters: [Unicode.Scalar], _ index: inout Int) {
        guard index < characters.count else { return }
        switch characters[index] {
        case "?", "*", "+":
            index += 1
        case "{":
            while index < characters.count, characters[index] != "}" { index += 1 }
            index += 1
        default:
            return
        }
        if index < characters.count, characters[index] == "?" || characters[index] == "+" {
            index += 1
        }
    }

    /// Returns the index of the `)` closing the group that opens at `start`.
    private static func groupEnd(_ characters: [Unicode.Scalar], from start: Int) -> Int? {
        var depth = 0
        var index = start
        while index < characters.count {
            switch characters[index] {
            case "\\":
                index += 1
            case "[":
                guard let close = classEnd(characters, from: index) else { return nil }
                index = close
            case "(":
                depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return index }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// Returns the index of the `]` closing the class that opens at `start`.
    private static func classEnd(_ characters: [Unicode.Scalar], from start: Int) -> Int? {
        var index = start + 1
        if index < characters.count, characters[index] == "^" { index += 1 }
        if index < characters.count, characters[index] == "]" { index += 1 }
        while index < characters.count {
            if characters[index] == "\\" {
                index += 2
                continue
            }
            if characters[index] == "]" { return index }
            index += 1
        }
        return nil
    }
}
