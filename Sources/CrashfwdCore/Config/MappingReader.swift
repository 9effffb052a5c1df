/// Reads typed values out of one YAML mapping and records a problem for every missing,
/// mistyped or unknown key instead of stopping at the first.
struct MappingReader {
    let node: YAMLNode
    let path: String
    let problems: ProblemList
    private let pairs: [(key: YAMLNode, value: YAMLNode)]
    private var used: Set<String> = []

    /// Returns nil (after recording a problem) when `node` is not a mapping.
    init?(_ node: YAMLNode, path: String, problems: ProblemList) {
        self.node = node
        self.path = path
        self.problems = problems
        guard case .mapping(let pairs) = node.value else {
            if !node.isNull {
                problems.add(
                    node, path, "expected a mapping of keys to values, found \(node.kindName)")
                return nil
            }
            self.pairs = []
            return
        }
        self.pairs = pairs
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The keys in file order.
    var keys: [String] {
        pairs.compactMap { pair in
            if case .scalar(let text, _) = pair.key.value { return text }
            return nil
        }
    }

    mutating func value(_ key: String) -> YAMLNode? {
        used.insert(key)
        return pairs.first { pair in
            if case .scalar(let text, _) = pair.key.value { return text == key }
            return false
        }?.value
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        guard let node = value(key), !node.isNull else {
            if required { problems.add(self.node, keyPath(key), "missing required key") }
            return nil
        }
        guard case .scalar(let text, _) = node.value else {
            problems.add(node, keyPath(key), "expected a text value, found \(node.kindName)")
            return nil
        }
        return text
    }

    mutating func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
        guard let text = string(key), let node = value(key) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            problems.add(
                node, keyPath(key),
                "invalid value '\(text)': expected a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
            return fallback
        }
        return number
    }

    mutating func boolean(_ key: String, default fallback: Bool) -> Bool {
        guard let text = string(key), let node = value(key) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            problems.add(node, keyPath(key), "invalid value '\(text)': expected true or false")
            return fallback
        }
    }

    /// Reads a duration such as `250ms`, `30s`, `5m`, `2h` or a plain number of seconds.
    /// The default maximum, 100 years, keeps every duration convertible to whole
    /// milliseconds and `timeval` seconds.
    mutating func seconds(
        _ key: String, default fallback: Double, minimum: Double = 0,
        maximum: Double = 100 * 365 * 86400
    ) -> Double {
        guard let text = string(key), let node = value(key) else { return fallback }
        guard let seconds = parseDuration(text), seconds >= minimum, seconds <= maximum else {
            problems.add(
                node, keyPath(key),
                "invalid duration '\(text)': expected a number with an optional unit ms, s, m, h or d (at least \(minimum) s, at most \(durationText(maximum)))"
            )
            return fallback
        }
        return seconds
    }

    /// Reads a decimal number such as `0.5`.
    mutating func number(_ key: String, default fallback: Double, range: ClosedRange<Double>)
        -> Double
    {
        guard let text = string(key), let node = value(key) else { return fallback }
        guard let number = Double(text.trimmed()), range.contains(number) else {
            problems.add(
                node, keyPath(key),
                "invalid value '\(text)': expected a number from \(range.lowerBound) to \(range.upperBound)"
            )
            return fallback
        }
        return number
    }

    mutating func stringList(_ key: String) -> [String]? {
        guard let node = value(key), !node.isNull else { return nil }
        switch node.value {
        case .scalar(let text, _):
            return [text]
        case .sequence(let items):
            var result: [String] = []
            for (index, item) in items.enumerated() {
                if case .scalar(let text, _) = item.value {
                    result.append(text)
                } else {
                    problems.add(
                        item, "\(keyPath(key))[\(index)]",
                        "expected a text value, found \(item.kindName)")
                }
            }
            return result
        case .mapping:
            problems.add(node, keyPath(key), "expected a list of text values, found a mapping")
            return nil
        }
    }

    mutating func stringMap(_ key: String) -> [(key: String, value: String)]? {
        guard let node = value(key), !node.isNull else { return nil }
        guard case .mapping(let pairs) = node.value else {
            problems.add(
                node, keyPath(key),
                "expected a mapping of names to text values, found \(node.kindName)")
            return nil
        }
        var result: [(key: String, value: String)] = []
        for pair in pairs {
            guard case .scalar(let name, _) = pair.key.value,
                case .scalar(let text, _) = pair.value.value
            else {
                problems.add(pair.value, keyPath(key), "expected text keys and text values")
                continue
            }
            result.append((key: name, value: text))
        }
        return result
    }

    mutating func mapping(_ key: String) -> MappingReader? {
        guard let node = value(key), !node.isNull else { return nil }
        return MappingReader(node, path: keyPath(key), problems: problems)
    }

    mutating func list(_ key: String) -> [YAMLNode]? {
        guard let node = value(key), !node.isNull else { return nil }
        guard case .sequence(let items) = node.value else {
            problems.add(node, keyPath(key), "expected a list, found \(node.kindName)")
            return nil
        }
        return items
    }

    /// Records a problem for every key that was never asked for, so a misspelt key is not
    /// silently ignored.
    func reportUnknownKeys() {
        for pair in pairs {
            guard case .scalar(let name, _) = pair.key.value else { continue }
            if !used.contains(name) {
                problems.add(
                    pair.key, keyPath(name),
                    "unknown key; check its spelling against the documented keys")
            }
        }
    }
}

/// Parses `250ms`, `30s`, `5m`, `2h`, `1d` or a plain number of seconds.
/// Returns a maximum duration in the largest unit that divides it, such as `1h` or `100d`.
func durationText(_ seconds: Double) -> String {
    for (suffix, factor) in [("d", 86400.0), ("h", 3600), ("m", 60)]
    where seconds >= factor && seconds.truncatingRemainder(dividingBy: factor) == 0 {
        return "\(Int(seconds / factor))\(suffix)"
    }
    return "\(seconds) s"
}

func parseDuration(_ text: String) -> Double? {
    let trimmed = text.trimmed()
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
    for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
        if let number = Double(trimmed.dropLast(suffix.count)) { return number * factor }
    }
    return Double(trimmed)
}
