/// One Centercode External Source that tickets are created in.
public struct DestinationConfig: Sendable {
    public var name: String
    /// Scheme and host of the Centercode instance, for example `https://acme.centercode.com`.
    public var baseURL: String
    public var project: String
    public var source: String
    /// The API key, loaded from the config, a file, an environment variable or a systemd
    /// credential. It must only ever be placed in request URLs.
    public var apiKey: String
    /// The origin of the key, for messages (never the key itself).
    public var apiKeyOrigin: String
    public var feedbackIDField: String
    /// Whether the External Source has a default submitter; without one `submitter` is a
    /// required parameter.
    public var hasDefaultSubmitter: Bool
    public var parameters: [ParameterSpec]
    public var allowPlainHTTP: Bool
    public var caFile: String?
    public var clientCertificate: String?
    public var clientKey: String?
    public var proxy: String?
    /// Seconds allowed for one request, connect time included.
    public var timeout: Double
    /// Name of the multipart form part that carries an uploaded file.
    public var filePartName: String

    /// The create-ticket URL, with the key in its query.
    public var createURL: String {
        "\(trimmedBaseURL)/api/v1/projects/\(project)/feedback/\(source)?apiKey=\(apiKey)"
    }

    /// Returns the upload URL of a file element of an existing ticket.
    public func uploadURL(feedbackID: String, element: String) -> String {
        "\(trimmedBaseURL)/api/v1/projects/\(project)/feedbackTypes/\(source)/\(feedbackID)/fileElements/\(element)?apiKey=\(apiKey)"
    }

    var trimmedBaseURL: String {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// True when the base URL is plain HTTP to a loopback address.
    public var isLoopbackHTTP: Bool {
        guard baseURL.hasPrefix("http://") else { return false }
        let host = URLParts.host(of: baseURL)
        return host == "localhost" || host.hasPrefix("127.") || host == "[::1]" || host == "::1"
    }
}

enum URLParts {
    /// Returns the host of an `http(s)://HOST[:PORT]/...` URL, lower-cased.
    static func host(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return "" }
        var rest = url[schemeEnd.upperBound...]
        if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            return String(rest[...close]).lowercased()
        }
        if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
        return String(rest).lowercased()
    }
}
