/// Prints `test-match` findings as text or as one JSON array.
struct TestMatchOutput {
    let setup: TestMatchSetup
    let json: Bool

    /// One finding in `--json` output.
    struct Entry: Encodable {
        var file: String
        var line: Int?
        var matcher: String
        var destination: String
        var fingerprint: String
        var reportID: String
        var truncated: Bool
        var captures: [String: String]
        var lines: [String]
        /// The JSON body that would be posted; nil when there is no destination to render
        /// for, or rendering failed.
        var body: [String: JSONValue]?
        var renderError: String?

        enum CodingKeys: String, CodingKey {
            case file, line, matcher, destination, fingerprint, truncated, captures, lines, body
            case reportID = "report_id"
            case renderError = "render_error"
        }
    }

    func print(_ findings: [TestMatchFinding]) {
        let entries = findings.map(entry)
        if json {
            let bytes = (try? JSONCoding.encode(entries, pretty: true)) ?? Array("[]".utf8)
            Swift.print(String(decoding: bytes, as: UTF8.self))
            return
        }
        for entry in entries { Swift.print(text(entry)) }
        Swift.print("\(entries.count) crash(es) found; nothing was sent.")
    }

    func entry(_ finding: TestMatchFinding) -> Entry {
        let detection = finding.detection
        var entry = Entry(
            file: finding.file, line: finding.line, matcher: detection.matcher,
            destination: detection.destination, fingerprint: detection.fingerprint,
            reportID: detection.reportID, truncated: detection.truncated,
            captures: detection.captures, lines: detection.lines)
        if let renderer = setup.renderers[detection.destination] {
            do {
                entry.body = try renderer.parameters(for: detection, reportID: detection.reportID)
            } catch {
                entry.renderError = "\(error)"
            }
        }
        return entry
    }

    func text(_ entry: Entry) -> String {
        let location = entry.line.map { "\(entry.file):\($0)" } ?? entry.file
        let destination = entry.destination.isEmpty ? "" : ", destination \(entry.destination)"
        var output = "\(location): \(entry.captures["kind"] ?? entry.matcher)"
        output += " (matcher \(entry.matcher)\(destination))\n"
        output += "  fingerprint: \(entry.fingerprint)\n  report_id: \(entry.reportID)\n"
        for name in entry.captures.keys.sorted() where name != "kind" {
            output += "  \(name): \(entry.captures[name] ?? "")\n"
        }
        if entry.truncated { output += "  truncated: a line or byte limit cut the block\n" }
        output += "  block (\(entry.lines.count) lines):\n"
        for line in entry.lines { output += "    | \(line)\n" }
        if let body = entry.body, let bytes = try? JSONCoding.encode(body, pretty: true) {
            output += "  body that would be posted:\n"
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                output += "    \(line)\n"
            }
        } else if let error = entry.renderError {
            output += "  body: cannot render: \(error)\n"
        }
        return output
    }
}
