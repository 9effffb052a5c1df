import CYAML

/// A parsed YAML node with the line and column (1-based) where it starts.
public struct YAMLNode: Sendable {
    public indirect enum Value: Sendable {
        case scalar(String, quoted: Bool)
        case sequence([YAMLNode])
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var value: Value
    public var line: Int
    public var column: Int

    /// True for an unquoted `~`, `null`, or an empty plain scalar.
    public var isNull: Bool {
        if case .scalar(let text, let quoted) = value, !quoted {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    public var kindName: String {
        switch value {
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// A YAML syntax error with the position libyaml reported.
public struct YAMLSyntaxError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var column: Int
    public var problem: String

    public var description: String { "\(file):\(line):\(column): invalid YAML: \(problem)" }
}

/// Parses YAML text into a node tree with libyaml's event API.
///
/// Only the first document is read. Anchors and aliases are resolved, and an alias that
/// refers to an unknown anchor is a syntax error.
public enum YAMLParser {
    public static func parse(_ text: String, file: String) throws -> YAMLNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLSyntaxError(file: file, line: 0, column: 0, problem: "out of memory")
        }
        defer { yaml_parser_delete(&parser) }

        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder(file: file)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    throw syntaxError(parser, file: file)
                }
                defer { yaml_event_delete(&event) }
                if try builder.consume(event) { break }
            }
            return builder.root
        }
    }

    static func syntaxError(_ parser: yaml_parser_t, file: String) -> YAMLSyntaxError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        let context = parser.context.map { String(cString: $0) }
        let mark = parser.problem_mark
        return YAMLSyntaxError(
            file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1,
            problem: context.map { "\(problem) \($0)" } ?? problem)
    }
}

/// Turns the event stream into nodes, keeping a stack of open collections.
private struct TreeBuilder {
    enum Open {
        case sequence([YAMLNode], YAMLNode, anchor: String?)
        case mapping(
            [(key: YAMLNode, value: YAMLNode)], pendingKey: YAMLNode?, YAMLNode, anchor: String?)
    }

    let file: String
    var stack: [Open] = []
    var anchors: [String: YAMLNode] = [:]
    var root: YAMLNode?

    init(file: String) { self.file = file }

    /// Consumes one event and returns true once the first document has ended.
    mutating func consume(_ event: yaml_event_t) throws -> Bool {
        let line = Int(event.start_mark.line) + 1
        let column = Int(event.start_mark.column) + 1
        switch event.type {
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(
                decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)),
                as: UTF8.self)
            let quoted =
                scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE
                || scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                || scalar.style == YAML_LITERAL_SCALAR_STYLE
                || scalar.style == YAML_FOLDED_SCALAR_STYLE
            let node = YAMLNode(value: .scalar(text, quoted: quoted), line: line, column: column)
            try add(node, anchor: scalar.anchor.map { String(cString: $0) })
        case YAML_SEQUENCE_START_EVENT:
            let anchor = event.data.sequence_start.anchor.map { String(cString: $0) }
            let node = YAMLNode(value: .sequence([]), line: line, column: column)
            stack.append(.sequence([], node, anchor: anchor))
        case YAML_MAPPING_START_EVENT:
            let anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
            let node = YAMLNode(value: .mapping([]), line: line, column: column)
            stack.append(.mapping([], pendingKey: nil, node, anchor: anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let open = stack.popLast() else { return false }
            switch open {
            case .sequence(let items, var node, let anchor):
                node.value = .sequence(items)
                try add(node, anchor: anchor)
            case .mapping(let pairs, _, var node, let anchor):
                try rejectDuplicateKeys(pairs)
                node.value = .mapping(pairs)
                try add(node, anchor: anchor)
            }
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let node = anchors[name] else {
                throw YAMLSyntaxError(
                    file: file, line: line, column: column,
                    problem: "alias '*\(name)' refers to an anchor that is not defined before it")
            }
            try add(node, anchor: nil)
        case YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT:
            return true
        default:
            break
        }
        return false
    }

    /// YAML requires the keys of a mapping to be unique; libyaml does not check it, and a
    /// second `watch:` would otherwise silently replace or be shadowed by the first.
    func rejectDuplicateKeys(_ pairs: [(key: YAMLNode, value: YAMLNode)]) throws {
        var firstLines: [String: Int] = [:]
        for pair in pairs {
            guard case .scalar(let name, _) = pair.key.value else { continue }
            if let firstLine = firstLines[name] {
                throw YAMLSyntaxError(
                    file: file, line: pair.key.line, column: pair.key.column,
                    problem:
                        "duplicate key '\(name)' (first defined on line \(firstLine)); merge the two or remove one"
                )
            }
            firstLines[name] = pair.key.line
        }
    }

    mutating func add(_ node: YAMLNode, anchor: String?) throws {
        if let anchor { anchors[anchor] = node }
        guard let top = stack.popLast() else {
            root = node
            return
        }
        switch top {
        case .sequence(var items, let parent, let parentAnchor):
            items.append(node)
            stack.append(.sequence(items, parent, anchor: parentAnchor))
        case .mapping(var pairs, let pendingKey, let parent, let parentAnchor):
            if let key = pendingKey {
                pairs.append((key: key, value: node))
                stack.append(.mapping(pairs, pendingKey: nil, parent, anchor: parentAnchor))
            } else {
                stack.append(.mapping(pairs, pendingKey: node, parent, anchor: parentAnchor))
            }
        }
    }
}
