import CCurl

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP answer: status, the headers crashfwd reads, and the body (capped).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A request that got no HTTP answer: DNS, connect, TLS, timeout or a dropped connection.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    /// The libcurl result code (`CURLcode`).
    public var code: Int
    public var message: String
    /// The request URL with the API key redacted.
    public var url: String
    public var description: String { "request to \(url) failed: \(message) (curl error \(code))" }
}

/// TLS and proxy settings of one destination.
public struct TransportOptions: Sendable {
    public var timeout: Double = 30
    public var connectTimeout: Double = 10
    public var caFile: String?
    public var clientCertificate: String?
    public var clientKey: String?
    public var proxy: String?
    /// Bytes per second; 0 means no cap.
    public var maximumUploadSpeed: Int = 0

    public init() {}

    public init(destination: DestinationConfig) {
        timeout = destination.timeout
        connectTimeout = min(10, destination.timeout)
        caFile = destination.caFile
        clientCertificate = destination.clientCertificate
        clientKey = destination.clientKey
        proxy = destination.proxy
    }
}

/// A libcurl easy handle that posts JSON and files.
///
/// The handle is created with `curl_easy_init` and freed with `curl_easy_cleanup` in
/// `deinit`; it is reused between requests so connections are kept alive. One client must
/// be used by one thread at a time. Redirects are never followed, so the API key in a URL
/// cannot be sent to another host. Peer and host verification stay on for HTTPS.
public final class HTTPClient {
    /// Largest response body kept; the rest is read and dropped.
    public static let maximumBodyBytes = 1 << 20

    private static let globalInit: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    private let handle: UnsafeMutableRawPointer
    private let options: TransportOptions

    public init(options: TransportOptions = TransportOptions()) throws {
        _ = HTTPClient.globalInit
        guard let handle = curl_easy_init() else {
            throw TransportError(code: -1, message: "curl_easy_init failed", url: "")
        }
        self.handle = handle
        self.options = options
    }

    deinit { curl_easy_cleanup(handle) }

    /// Posts a JSON body and returns the answer, whatever its status.
    public func postJSON(url: String, body: [UInt8]) throws -> HTTPResponse {
        curl_easy_reset(handle)
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        for header in ["Content-Type: application/json", "Accept: application/json", "Expect:"] {
            headers = curl_slist_append(headers, header)
        }
        defer { curl_slist_free_all(headers) }
        crashfwd_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers)
        crashfwd_curl_setopt_long(handle, CURLOPT_POST, 1)
        crashfwd_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        return try body.withUnsafeBytes { (buffer) -> HTTPResponse in
            // COPYPOSTFIELDS copies the bytes, so the buffer need not outlive this call.
            crashfwd_curl_setopt_pointer(
                handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            return try perform(url: url)
        }
    }

    /// Performs the request prepared on the handle, collecting status, headers and body.
    func perform(url: String, configure: ((UnsafeMutableRawPointer) -> Void)? = nil)
        throws -> HTTPResponse
    {
        let collector = ResponseCollector()
        let unmanaged = Unmanaged.passRetained(collector)
        defer { unmanaged.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        let result: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            applyCommonOptions(url: url, errorBuffer: errorPointer.baseAddress)
            crashfwd_curl_setopt_write_function(handle, collectBody)
            crashfwd_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, unmanaged.toOpaque())
            crashfwd_curl_setopt_header_function(handle, collectHeader)
            crashfwd_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, unmanaged.toOpaque())
            configure?(handle)
            let code = curl_easy_perform(handle)
            // The handle keeps these pointers; clear them before the buffer goes away.
            crashfwd_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return code
        }
        guard result == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            throw TransportError(code: Int(result.rawValue), message: message, url: Redactor.shared.redact(url))
        }
        var status = 0
        crashfwd_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: collector.headers, body: collector.body)
    }

    private func applyCommonOptions(url: String, errorBuffer: UnsafeMutablePointer<CChar>?) {
        crashfwd_curl_setopt_string(handle, CURLOPT_URL, url)
        crashfwd_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        crashfwd_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        crashfwd_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        crashfwd_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        crashfwd_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(options.timeout * 1000))
        crashfwd_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        crashfwd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        crashfwd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        crashfwd_curl_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        crashfwd_curl_setopt_string(handle, CURLOPT_USERAGENT, "crashfwd/\(CrashfwdVersion.string)")
        if let caFile = options.caFile { crashfwd_curl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        if let certificate = options.clientCertificate {
            crashfwd_curl_setopt_string(handle, CURLOPT_SSLCERT, certificate)
        }
        if let key = options.clientKey { crashfwd_curl_setopt_string(handle, CURLOPT_SSLKEY, key) }
        if let proxy = options.proxy { crashfwd_curl_setopt_string(handle, CURLOPT_PROXY, proxy) }
        if options.maximumUploadSpeed > 0 {
            crashfwd_curl_setopt_off(handle, CURLOPT_MAX_SEND_SPEED_LARGE, curl_off_t(options.maximumUploadSpeed))
        }
    }
}

/// Receives the body and headers from libcurl's callbacks.
final class ResponseCollector {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
}

private func collectBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let room = max(0, HTTPClient.maximumBodyBytes - collector.body.count)
    if room > 0 {
        let bytes = UnsafeRawBufferPointer(start: data, count: min(room, length))
        collector.body.append(contentsOf: bytes)
    }
    return length
}

private func collectHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        collector.headers.removeAll()  // a new response (after 100 Continue) starts
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        collector.headers[name] = String(line[line.index(after: colon)...]).trimmed()
    }
    return length
}
