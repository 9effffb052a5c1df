/// Reads the `detect` section: custom matchers, presets, the default destination and
/// folding.
struct DetectSectionReader {
    let destinations: [String: DestinationConfig]
    let problems: ProblemList

    func read(_ detect: inout MappingReader?) -> (matchers: [MatcherConfig], folding: FoldingConfig)
    {
        guard var section = detect else { return ([], FoldingConfig()) }
        let defaultDestination = section.string("destination")
        var matchers: [MatcherConfig] = []
        for (index, node) in (section.list("matchers") ?? []).enumerated() {
            let path = "detect.matchers[\(index)]"
            guard
                let matcher = MatcherConfig.read(
                    node, path: path, defaultDestination: defaultDestination, problems: problems)
            else { continue }
            checkDestination(matcher.destination, node: node, path: "\(path).destination")
            matchers.append(matcher)
        }
        matchers += readPresets(&section, defaultDestination: defaultDestination)
        var folding = FoldingConfig()
        if var foldingSection = section.mapping("folding") {
            folding = FoldingConfig.read(&foldingSection)
        }
        detect = section
        return (matchers, folding)
    }

    private func readPresets(_ section: inout MappingReader, defaultDestination: String?)
        -> [MatcherConfig]
    {
        guard let names = section.stringList("presets"), !names.isEmpty else { return [] }
        let node = section.value("presets")
        guard let destination = defaultDestination else {
            problems.add(
                node, "detect.destination", "missing; presets send to detect.destination, so set it"
            )
            return []
        }
        checkDestination(
            destination, node: section.value("destination"), path: "detect.destination")
        let (matchers, unknown) = Presets.matchers(named: names, destination: destination)
        let known = "all, " + Presets.names.joined(separator: ", ")
        for name in unknown {
            let index = names.firstIndex(of: name) ?? 0
            problems.add(
                elementNode(node, index: index), "detect.presets[\(index)]",
                "unknown preset '\(name)'; valid presets: \(known)")
        }
        return matchers
    }

    /// Returns the list item at `index`, or the node itself for a single scalar, so an
    /// error points at the misspelled name.
    private func elementNode(_ node: YAMLNode?, index: Int) -> YAMLNode? {
        guard let node, case .sequence(let items) = node.value, items.indices.contains(index)
        else { return node }
        return items[index]
    }

    private func checkDestination(_ name: String, node: YAMLNode?, path: String) {
        guard !name.isEmpty, destinations[name] == nil else { return }
        let known = destinations.keys.sorted().joined(separator: ", ")
        problems.add(node, path, "unknown destination '\(name)'; known: \(known)")
    }
}
