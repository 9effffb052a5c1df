/// The `service:` section: where the running daemon publishes its status and metrics.
///
/// ```yaml
/// service:
///   status_file: /var/lib/crashfwd/status.json    # default: STATE/status.json
///   metrics_file: /var/lib/prometheus/node-exporter/crashfwd.prom   # default: off
/// ```
public struct ServiceConfig: Sendable, Equatable {
    /// The JSON status that `crashfwd status` reads.
    public var statusFile: String
    /// The Prometheus textfile-collector file, or nil when metrics are off.
    public var metricsFile: String?

    public init(stateDirectory: String, statusFile: String? = nil, metricsFile: String? = nil) {
        self.statusFile = statusFile ?? "\(stateDirectory)/status.json"
        self.metricsFile = metricsFile
    }

    /// Reads the optional `service:` section of the root mapping.
    static func read(_ root: inout MappingReader, stateDirectory: String) -> ServiceConfig {
        guard var section = root.mapping("service") else {
            return ServiceConfig(stateDirectory: stateDirectory)
        }
        defer { section.reportUnknownKeys() }
        let statusFile = absolutePath(&section, "status_file")
        let metricsFile = absolutePath(&section, "metrics_file")
        return ServiceConfig(
            stateDirectory: stateDirectory, statusFile: statusFile, metricsFile: metricsFile)
    }

    static func absolutePath(_ section: inout MappingReader, _ key: String) -> String? {
        guard let path = section.string(key) else { return nil }
        guard path.hasPrefix("/") else {
            section.problems.add(
                section.value(key), section.keyPath(key),
                "'\(path)' is relative; use an absolute path")
            return nil
        }
        return path
    }

    /// Reads only `state_directory` and `service:` from a config file, ignoring every other
    /// key and problem, so that `crashfwd status` works where the full config cannot load,
    /// such as a shell without the service's `CREDENTIALS_DIRECTORY`.
    ///
    /// - Throws: `ConfigErrors` when the file is missing or is not valid YAML.
    public static func locate(configPath: String, environment: [String: String]) throws
        -> (stateDirectory: String, service: ServiceConfig)
    {
        guard let text = try FileIO.readText(configPath) else {
            throw ConfigErrors(problems: [
                ConfigProblem(
                    file: configPath, line: 0, column: 0, key: "",
                    message: "config file not found; pass --config PATH")
            ])
        }
        let problems = ProblemList(file: configPath)
        let root: YAMLNode?
        do {
            root = try YAMLParser.parse(text, file: configPath)
        } catch let error as YAMLSyntaxError {
            throw ConfigErrors(problems: [
                ConfigProblem(
                    file: configPath, line: error.line, column: error.column, key: "",
                    message: "invalid YAML: \(error.problem)")
            ])
        }
        let fallback = environment["STATE_DIRECTORY"] ?? "/var/lib/crashfwd"
        guard let root, var reader = MappingReader(root, path: "", problems: problems) else {
            return (fallback, ServiceConfig(stateDirectory: fallback))
        }
        let stateDirectory = reader.string("state_directory") ?? fallback
        return (stateDirectory, read(&reader, stateDirectory: stateDirectory))
    }
}

extension Config {
    /// The status and metrics locations, with defaults when the file has no `service:`.
    public var service: ServiceConfig {
        serviceSection ?? ServiceConfig(stateDirectory: stateDirectory)
    }
}
