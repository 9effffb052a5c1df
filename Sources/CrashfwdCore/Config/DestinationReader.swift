#if canImport(Glibc)
    import Glibc
#endif

/// Reads one entry of `destinations`, loading its API key.
struct DestinationReader {
    let file: String
    let environment: [String: String]
    let problems: ProblemList

    func read(_ node: YAMLNode, name: String) -> DestinationConfig? {
        let path = "destinations.\(name)"
        guard var reader = MappingReader(node, path: path, problems: problems) else { return nil }
        defer { reader.reportUnknownKeys() }

        let url = reader.string("url", required: true) ?? ""
        let allowPlainHTTP = reader.boolean("allow_http", default: false)
        checkURL(url, allowPlainHTTP: allowPlainHTTP, node: reader.value("url") ?? node, path: path)
        let project = reader.string("project", required: true) ?? ""
        let source = reader.string("source", required: true) ?? ""
        for (key, value) in [("project", project), ("source", source)]
        where !value.isEmpty && !isURLSafe(value) {
            problems.add(
                reader.value(key), "\(path).\(key)",
                "'\(value)' contains characters not allowed in a URL path; use letters, digits, '-', '_' and '.'"
            )
        }
        let (apiKey, origin) = readAPIKey(&reader, node: node, path: path)
        let hasDefaultSubmitter = reader.boolean("default_submitter", default: false)
        let parameters = readParameters(&reader, path: path)
        if !hasDefaultSubmitter && !parameters.contains(where: { $0.name == "submitter" }) {
            problems.add(
                node, "\(path).parameters",
                "missing 'submitter': this External Source has no default submitter (default_submitter: false), so Centercode requires a member's email in 'submitter'"
            )
        }
        return DestinationConfig(
            name: name, baseURL: url, project: project, source: source, apiKey: apiKey,
            apiKeyOrigin: origin, feedbackIDField: reader.string("feedback_id_field") ?? "id",
            hasDefaultSubmitter: hasDefaultSubmitter, parameters: parameters,
            allowPlainHTTP: allowPlainHTTP, caFile: reader.string("ca_file"),
            clientCertificate: reader.string("client_certificate"),
            clientKey: reader.string("client_key"), proxy: reader.string("proxy"),
            timeout: reader.seconds("timeout", default: 30, minimum: 1, maximum: 3600),
            filePartName: reader.string("file_part_name") ?? "file")
    }

    func checkURL(_ url: String, allowPlainHTTP: Bool, node: YAMLNode, path: String) {
        if url.hasPrefix("https://") { return }
        if url.hasPrefix("http://") {
            if !allowPlainHTTP {
                problems.add(
                    node, "\(path).url",
                    "'\(url)' is plain HTTP; use https://, or set allow_http: true for a local sandbox"
                )
            } else if !["localhost", "::1", "[::1]"].contains(URLParts.host(of: url))
                && !URLParts.host(of: url).hasPrefix("127.")
            {
                problems.warn(
                    node, "\(path).url",
                    "plain HTTP to a host that is not loopback: the API key and crash data travel unencrypted"
                )
            }
            return
        }
        if !url.isEmpty {
            problems.add(node, "\(path).url", "'\(url)' is not an http:// or https:// URL")
        }
    }

    func isURLSafe(_ text: String) -> Bool {
        !text.isEmpty
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// Loads the key from exactly one of `api_key`, `api_key_file`, `api_key_env` or
    /// `api_key_credential`, and registers it with the redactor.
    func readAPIKey(_ reader: inout MappingReader, node: YAMLNode, path: String) -> (String, String)
    {
        let inline = reader.string("api_key")
        let keyFile = reader.string("api_key_file")
        let variable = reader.string("api_key_env")
        let credential = reader.string("api_key_credential")
        let chosen = [inline, keyFile, variable, credential].compactMap { $0 }.count
        if chosen != 1 {
            problems.add(
                node, "\(path).api_key",
                chosen == 0
                    ? "missing; set one of api_key_file, api_key_env, api_key_credential or api_key"
                    : "set only one of api_key_file, api_key_env, api_key_credential and api_key")
            return ("", "")
        }
        var key = ""
        var origin = ""
        if let inline {
            key = inline
            origin = "the config file"
            warnIfReadableByOthers(file, node: reader.value("api_key"), key: "\(path).api_key")
        } else if let keyFile {
            origin = "file \(keyFile)"
            key = readKeyFile(
                keyFile, node: reader.value("api_key_file"), key: "\(path).api_key_file")
        } else if let variable {
            origin = "environment variable \(variable)"
            key = environment[variable] ?? ""
            if key.isEmpty {
                problems.add(
                    reader.value("api_key_env"), "\(path).api_key_env",
                    "environment variable \(variable) is not set or empty")
            }
        } else if let credential {
            origin = "systemd credential \(credential)"
            guard let directory = environment["CREDENTIALS_DIRECTORY"] else {
                problems.add(
                    reader.value("api_key_credential"), "\(path).api_key_credential",
                    "CREDENTIALS_DIRECTORY is not set; run under systemd with LoadCredential=\(credential):PATH"
                )
                return ("", origin)
            }
            key = readKeyFile(
                "\(directory)/\(credential)", node: reader.value("api_key_credential"),
                key: "\(path).api_key_credential", checkMode: false)
        }
        key = key.trimmed()
        if !key.isEmpty { Redactor.shared.register(key) }
        return (key, origin)
    }

    func readKeyFile(_ keyPath: String, node: YAMLNode?, key: String, checkMode: Bool = true)
        -> String
    {
        do {
            guard let text = try FileIO.readText(keyPath) else {
                problems.add(node, key, "API key file '\(keyPath)' not found")
                return ""
            }
            if checkMode { warnIfReadableByOthers(keyPath, node: node, key: key) }
            if text.trimmed().isEmpty {
                problems.add(node, key, "API key file '\(keyPath)' is empty")
            }
            return text
        } catch {
            problems.add(node, key, "cannot read API key file: \(error)")
            return ""
        }
    }

    func warnIfReadableByOthers(_ path: String, node: YAMLNode?, key: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        if info.st_mode & 0o004 != 0 {
            problems.warn(
                node, key,
                "'\(path)' holds the API key and is readable by every user; run chmod o-r '\(path)'"
            )
        }
    }

    func readParameters(_ reader: inout MappingReader, path: String) -> [ParameterSpec] {
        guard var section = reader.mapping("parameters") else { return [] }
        defer { section.reportUnknownKeys() }
        var result: [ParameterSpec] = []
        for name in section.keys {
            guard let node = section.value(name) else { continue }
            if let spec = readParameter(node, name: name, path: "\(path).parameters.\(name)") {
                result.append(spec)
            }
        }
        return result
    }

    func readParameter(_ node: YAMLNode, name: String, path: String) -> ParameterSpec? {
        problems.positions[path] = node
        if case .scalar(let text, _) = node.value {
            guard let template = compile(text, node: node, path: path) else { return nil }
            return ParameterSpec(name: name, template: template)
        }
        guard var reader = MappingReader(node, path: path, problems: problems) else { return nil }
        defer { reader.reportUnknownKeys() }
        let source = reader.string("template", required: true) ?? ""
        let typeName = reader.string("type") ?? "text"
        guard let type = ParameterSpec.FieldType(rawValue: typeName) else {
            let names = ParameterSpec.FieldType.allCases.map(\.rawValue).joined(separator: ", ")
            problems.add(
                reader.value("type"), "\(path).type",
                "invalid type '\(typeName)': use one of \(names)")
            return nil
        }
        let options = reader.stringList("options") ?? []
        let valueMap = Dictionary(
            (reader.stringMap("map") ?? []).map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        let fallback = reader.string("fallback")
        if type != .text {
            if options.isEmpty {
                problems.add(
                    node, "\(path).options",
                    "missing; a \(typeName) parameter needs the form's exact options")
            }
            for (key, value) in valueMap where !options.contains(value) {
                problems.add(
                    reader.value("map"), "\(path).map.\(key)",
                    "'\(value)' is not one of the options \(options)")
            }
            if let fallback, !options.contains(fallback) {
                problems.add(
                    reader.value("fallback"), "\(path).fallback",
                    "'\(fallback)' is not one of the options \(options)")
            }
        }
        guard
            let template = compile(
                source, node: reader.value("template") ?? node, path: "\(path).template")
        else {
            return nil
        }
        return ParameterSpec(
            name: name, template: template, type: type, options: options, valueMap: valueMap,
            fallback: fallback, required: reader.boolean("required", default: false))
    }

    func compile(_ text: String, node: YAMLNode, path: String) -> Template? {
        do {
            return try Template(text)
        } catch {
            problems.add(node, path, "\(error)")
            return nil
        }
    }
}
