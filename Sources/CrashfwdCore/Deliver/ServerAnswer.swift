/// The parts of a create-ticket answer crashfwd uses.
///
/// The answer's shape is not documented beyond an id and the file-element URLs, so
/// parsing is lenient: the id is read from the configured field (a number or a string) or,
/// failing that, from a file-element URL `.../feedbackTypes/SOURCE/ID/fileElements/NAME`.
struct ServerAnswer {
    var feedbackID: String?
    var fileElements: [String: String] = [:]

    init(response: HTTPResponse, idField: String) {
        guard let json = try? JSONCoding.decode(JSONValue.self, from: response.body) else { return }
        if case .object(let elements)? = json["fileElements"] {
            for (name, value) in elements {
                if let url = value.text { fileElements[name] = url }
            }
        }
        feedbackID =
            json[idField]?.text ?? fileElements.values.lazy.compactMap(ServerAnswer.idFromURL).first
    }

    static func idFromURL(_ url: String) -> String? {
        let parts = url.split(separator: "/")
        guard let index = parts.firstIndex(of: "fileElements"), index >= 1 else { return nil }
        let id = String(parts[index - 1])
        return id.isEmpty ? nil : id
    }

    /// Returns `HTTP STATUS: description` using the `description` field of a JSON error
    /// body, or the start of the body, with the API key redacted.
    static func describe(_ response: HTTPResponse) -> String {
        let json = try? JSONCoding.decode(JSONValue.self, from: response.body)
        let detail = json?["description"]?.text ?? String(response.bodyText.prefix(300))
        return Redactor.shared.redact("HTTP \(response.status): \(detail)")
    }
}
