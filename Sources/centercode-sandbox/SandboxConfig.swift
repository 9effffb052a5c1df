import Foundation

/// An invalid command line or configuration; `main` prints it and exits with status 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One external source (feedback form) of the emulated project.
struct SourceConfig: Sendable {
    var defaultSubmitter: String?
    var members: [String] = []
    var required: [String] = []
    var statusRequired = false
    var statuses: [String] = []
    var singleChoice: [String: [String]] = [:]
    var multipleChoice: [String: [String]] = [:]
    var ratingScale: [String: [String]] = [:]
    var fileElements: [String] = []
}

/// The sandbox configuration file; `docs/sandbox.md` describes each key.
struct SandboxConfig: Sendable {
    var apiKey = ""
    var revokedKeys: [String] = []
    var project = ""
    var idField = "id"
    var firstId = 1000
    var filePartName = "file"
    var maxFileBytes: Int64 = 2 * 1024 * 1024 * 1024
    var sources: [String: SourceConfig] = [:]

    static let topLevelKeys: Set<String> = [
        "apiKey", "revokedKeys", "project", "idField", "firstId", "filePartName",
        "maxFileBytes", "sources",
    ]
    static let sourceKeys: Set<String> = [
        "defaultSubmitter", "members", "required", "statusRequired", "statuses",
        "singleChoice", "multipleChoice", "ratingScale", "fileElements",
    ]

    /// Reads and validates a configuration file.
    static func load(path: String) throws -> SandboxConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError(
                "Cannot read config file '\(path)': check that it exists and is readable.")
        }
        guard let document = JSONValue.parse(data), case .object(let root) = document else {
            throw UsageError("Invalid config file '\(path)': expected a JSON object.")
        }
        return try SandboxConfig(root: root, path: path)
    }

    init() {}

    init(root: [String: JSONValue], path: String) throws {
        let reader = ConfigReader(path: path)
        try reader.rejectUnknownKeys(root, allowed: Self.topLevelKeys, context: "")
        apiKey = try reader.requiredString(root, "apiKey")
        project = try reader.requiredString(root, "project")
        revokedKeys = try reader.strings(root, "revokedKeys") ?? []
        idField = try reader.string(root, "idField") ?? idField
        firstId = Int(try reader.integer(root, "firstId") ?? Int64(firstId))
        filePartName = try reader.string(root, "filePartName") ?? filePartName
        maxFileBytes = try reader.integer(root, "maxFileBytes") ?? maxFileBytes
        guard firstId >= 1, maxFileBytes >= 1 else {
            throw UsageError(
                "Invalid config '\(path)': firstId and maxFileBytes must be at least 1.")
        }
        guard case .object(let sourceObjects)? = root["sources"], !sourceObjects.isEmpty else {
            throw UsageError(
                "Invalid config '\(path)': 'sources' must be an object with at least one source.")
        }
        for (key, value) in sourceObjects {
            sources[key] = try Self.parseSource(key: key, value: value, reader: reader)
        }
    }

    private static func parseSource(key: String, value: JSONValue, reader: ConfigReader) throws
        -> SourceConfig
    {
        guard case .object(let object) = value else {
            throw UsageError("Invalid config '\(reader.path)': source '\(key)' must be an object.")
        }
        let context = "sources.\(key)."
        try reader.rejectUnknownKeys(object, allowed: sourceKeys, context: context)
        var source = SourceConfig()
        source.defaultSubmitter = try reader.string(object, "defaultSubmitter", context: context)
        source.members = try reader.strings(object, "members", context: context) ?? []
        source.required = try reader.strings(object, "required", context: context) ?? []
        source.statusRequired = try reader.bool(object, "statusRequired", context: context) ?? false
        source.statuses = try reader.strings(object, "statuses", context: context) ?? []
        source.singleChoice = try reader.options(object, "singleChoice", context: context)
        source.multipleChoice = try reader.options(object, "multipleChoice", context: context)
        source.ratingScale = try reader.options(object, "ratingScale", context: context)
        source.fileElements = try reader.strings(object, "fileElements", context: context) ?? []
        if source.statusRequired && source.statuses.isEmpty {
            throw UsageError(
                "Invalid config '\(reader.path)': \(context)statusRequired is true but "
                    + "\(context)statuses is empty; list the allowed statuses.")
        }
        return source
    }
}

/// Typed access to config values, with errors that name the key and the expected type.
private struct ConfigReader {
    let path: String

    func rejectUnknownKeys(_ object: [String: JSONValue], allowed: Set<String>, context: String)
        throws
    {
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw UsageError(
                "Invalid config '\(path)': unknown key '\(context)\(key)'. "
                    + "Allowed keys: \(allowed.sorted().joined(separator: ", ")).")
        }
    }

    func invalid(_ key: String, _ context: String, _ expected: String) -> UsageError {
        UsageError("Invalid config '\(path)': '\(context)\(key)' must be \(expected).")
    }

    func requiredString(_ object: [String: JSONValue], _ key: String) throws -> String {
        guard let value = try string(object, key), !value.isEmpty else {
            throw invalid(key, "", "a non-empty string")
        }
        return value
    }

    func string(_ object: [String: JSONValue], _ key: String, context: String = "") throws
        -> String?
    {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw invalid(key, context, "a string")
        }
    }

    func integer(_ object: [String: JSONValue], _ key: String) throws -> Int64? {
        switch object[key] {
        case nil, .null?: return nil
        case .integer(let value)?: return value
        default: throw invalid(key, "", "an integer")
        }
    }

    func bool(_ object: [String: JSONValue], _ key: String, context: String) throws -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw invalid(key, context, "true or false")
        }
    }

    func strings(_ object: [String: JSONValue], _ key: String, context: String = "") throws
        -> [String]?
    {
        switch object[key] {
        case nil, .null?:
            return nil
        case .array(let items)?:
            let values = items.compactMap(\.stringValue)
            guard values.count == items.count else {
                throw invalid(key, context, "an array of strings")
            }
            return values
        default:
            throw invalid(key, context, "an array of strings")
        }
    }

    func options(_ object: [String: JSONValue], _ key: String, context: String) throws
        -> [String: [String]]
    {
        switch object[key] {
        case nil, .null?:
            return [:]
        case .object(let fields)?:
            var result: [String: [String]] = [:]
            for field in fields.keys {
                guard let values = try strings(fields, field, context: "\(context)\(key).") else {
                    throw invalid(field, "\(context)\(key).", "an array of strings")
                }
                result[field] = values
            }
            return result
        default:
            throw invalid(key, context, "an object mapping field names to arrays of options")
        }
    }
}
