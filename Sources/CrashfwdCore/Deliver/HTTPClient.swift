import CCurl

#if canImport(Glibc)
    import Glibc
#endif

/// An HTTP response: status, the headers crashfwd reads, and the body (capped).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// A request that got no HTTP answer: DNS, connect, TLS, timeout or a dropped connection.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    /// The libcurl result code (`CURLcode`), or -1 when the request failed before libcurl.
    public var code: Int
    public var message: String
    /// The request URL with the API key redacted.
    public var url: String
    public var description: String {
        // Negative codes are crashfwd's own failures (the HTTP worker, a missing libcurl).
        code < 0
            ? "request to \(url) failed: \(message)"
            : "request to \(url) failed: \(message) (curl error \(code))"
    }
}

/// TLS and proxy settings of one destination.
public struct TransportOptions: Equatable, Sendable {
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
/// The first client loads libcurl (see `crashfwd_curl_load`), so a daemon that never sends
/// anything never maps it. The handle is created with `curl_easy_init` and freed with `curl_easy_cleanup` in
/// `deinit`; it is reused between requests so connections are kept alive. One client must
/// be used by one thread at a time. Redirects are never followed, so the API key in a URL
/// cannot be sent to another host. Peer and host verification stay on for HTTPS.
public final class HTTPClient {
    /// Largest response body kept; the rest is read and dropped.
    public static let maximumBodyBytes = 1 << 20

    private let handle: UnsafeMutableRawPointer
    private let options: TransportOptions

    public init(options: TransportOptions = TransportOptions()) throws {
        if let failure = crashfwd_curl_load() {
            throw TransportError(code: -1, message: String(cString: failure), url: "")
        }
        guard let handle = crashfwd_curl_easy_init() else {
            throw TransportError(code: -1, message: "curl_easy_init failed", url: "")
        }
        self.handle = handle
        self.options = options
    }

    deinit { crashfwd_curl_easy_cleanup(handle) }

    /// Posts a JSON body and returns the response, whatever its status.
    public func postJSON(url: String, body: [UInt8]) throws -> HTTPResponse {
        crashfwd_curl_easy_reset(handle)
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        for header in ["Content-Type: application/json", "Accept: application/json", "Expect:"] {
            headers = crashfwd_curl_slist_append(headers, header)
        }
        defer { crashfwd_curl_slist_free_all(headers) }
        crashfwd_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers)
        crashfwd_curl_setopt_long(handle, CURLOPT_POST, 1)
        crashfwd_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        // COPYPOSTFIELDS copies the bytes, so the buffer need not outlive this call. An
        // empty body still needs a valid pointer, hence the one-byte array.
        let bytes = body.isEmpty ? [0] : body
        bytes.withUnsafeBytes { buffer in
            crashfwd_curl_setopt_pointer(
                handle, CURLOPT_COPYPOSTFIELDS,
                UnsafeMutableRawPointer(mutating: buffer.baseAddress))
        }
        return try perform(url: url)
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
            let code = crashfwd_curl_easy_perform(handle)
            // The handle keeps these pointers; clear them before the buffer goes away.
            crashfwd_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, nil)
            return code
        }
        guard result == CURLE_OK else {
            let detail = String(
                decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) },
                as: UTF8.self)
            let message =
                detail.isEmpty ? String(cString: crashfwd_curl_easy_strerror(result)) : detail
            throw TransportError(
                code: Int(result.rawValue), message: message, url: Redactor.shared.redact(url))
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
        crashfwd_curl_setopt_long(
            handle, CURLOPT_TIMEOUT_MS, HTTPClient.milliseconds(options.timeout))
        crashfwd_curl_setopt_long(
            handle, CURLOPT_CONNECTTIMEOUT_MS, HTTPClient.milliseconds(options.connectTimeout))
        crashfwd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        crashfwd_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        crashfwd_curl_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        crashfwd_curl_setopt_string(handle, CURLOPT_USERAGENT, "crashfwd/\(CrashfwdVersion.string)")
        if let caFile = options.caFile {
            crashfwd_curl_setopt_string(handle, CURLOPT_CAINFO, caFile)
        }
        if let certificate = options.clientCertificate {
            crashfwd_curl_setopt_string(handle, CURLOPT_SSLCERT, certificate)
        }
        if let key = options.clientKey { crashfwd_curl_setopt_string(handle, CURLOPT_SSLKEY, key) }
        if let proxy = options.proxy { crashfwd_curl_setopt_string(handle, CURLOPT_PROXY, proxy) }
        if options.maximumUploadSpeed > 0 {
            crashfwd_curl_setopt_off(
                handle, CURLOPT_MAX_SEND_SPEED_LARGE, curl_off_t(options.maximumUploadSpeed))
        }
    }
}

extension HTTPClient {
    /// Converts a timeout to libcurl's milliseconds. The config allows 1 s to 1 h, but the
    /// options arrive over the worker socket, so they are clamped to 1 ms to 1 day and NaN
    /// becomes 30 s. The conversion then cannot trap.
    static func milliseconds(_ seconds: Double) -> Int {
        guard !seconds.isNaN else { return 30_000 }
        return Int(min(max(seconds, 0.001), 86400) * 1000)
    }
}

/// libcurl clients by name (a destination's), each reused, with its open connection, while
/// its options stay the same. Not thread-safe.
final class HTTPClientPool {
    private var clients: [String: (options: TransportOptions, client: HTTPClient)] = [:]

    func client(for name: String, options: TransportOptions) throws -> HTTPClient {
        if let cached = clients[name], cached.options == options { return cached.client }
        let client = try HTTPClient(options: options)
        clients[name] = (options, client)
        return client
    }
}

/// Receives the body and headers from libcurl's callbacks.
final class ResponseCollector {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
}

private func collectBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
    _ context: UnsafeMutableRawPointer?
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
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
    _ context: UnsafeMutableRawPointer?
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

extension HTTPClient {
    /// Size of libcurl's upload buffer for file uploads: the memory an upload adds.
    static let uploadBufferBytes = 512 << 10

    /// Uploads one file as `multipart/form-data` and returns the response, whatever its status.
    ///
    /// libcurl reads the file from disk while sending, so memory use does not depend on its
    /// size. The request timeout does not apply, because a large file may take longer. The
    /// transfer fails instead when less than 1 byte/s is sent for `stallTimeout` seconds.
    /// `progress` receives the bytes of the request body sent so far and its total size,
    /// and returning true from it aborts the upload with curl error 42.
    public func postFile(
        url: String, partName: String, filePath: String, fileName: String, contentType: String,
        maximumSpeed: UInt64, stallTimeout: Double, progress: @escaping (UInt64, UInt64) -> Bool
    ) throws -> HTTPResponse {
        crashfwd_curl_easy_reset(handle)
        // This function owns the mime structure: it is created here and freed by
        // curl_mime_free on return, after curl_easy_reset so the handle no longer refers
        // to it. Its parts belong to it and are freed with it.
        guard let mime = crashfwd_curl_mime_init(handle) else {
            throw TransportError(
                code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_mime_init failed",
                url: Redactor.shared.redact(url))
        }
        defer {
            crashfwd_curl_easy_reset(handle)
            crashfwd_curl_mime_free(mime)
        }

        try addFilePart(
            to: mime, partName: partName, filePath: filePath, fileName: fileName,
            contentType: contentType, url: url)
        let headers = crashfwd_curl_slist_append(nil, "Accept: application/json")
        defer { crashfwd_curl_slist_free_all(headers) }
        let relay = Unmanaged.passRetained(ProgressRelay(progress))
        defer { relay.release() }

        return try perform(url: url) { handle in
            crashfwd_curl_setopt_pointer(handle, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime))
            crashfwd_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers)
            crashfwd_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, 0)
            crashfwd_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            crashfwd_curl_setopt_long(
                handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(stallTimeout.rounded(.up))))
            if maximumSpeed > 0 {
                crashfwd_curl_setopt_off(
                    handle, CURLOPT_MAX_SEND_SPEED_LARGE,
                    curl_off_t(min(maximumSpeed, UInt64(Int64.max))))
            }
            // libcurl's 64 KiB default makes one read and one send per 64 KiB.
            crashfwd_curl_setopt_long(
                handle, CURLOPT_UPLOAD_BUFFERSIZE, HTTPClient.uploadBufferBytes)
            crashfwd_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            crashfwd_curl_setopt_xferinfo_function(handle, relayProgress)
            crashfwd_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, relay.toOpaque())
        }
    }

    private func addFilePart(
        to mime: OpaquePointer, partName: String, filePath: String, fileName: String,
        contentType: String, url: String
    ) throws {
        guard let part = crashfwd_curl_mime_addpart(mime) else {
            throw TransportError(
                code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_mime_addpart failed",
                url: Redactor.shared.redact(url))
        }
        // curl_mime_filedata opens nothing yet: curl opens and reads the file in chunks
        // while the request body is sent.
        let results = [
            crashfwd_curl_mime_name(part, partName), crashfwd_curl_mime_filedata(part, filePath),
            crashfwd_curl_mime_filename(part, fileName), crashfwd_curl_mime_type(part, contentType),
        ]
        if let failure = results.first(where: { $0 != CURLE_OK }) {
            throw TransportError(
                code: Int(failure.rawValue),
                message:
                    "cannot add '\(filePath)' to the upload: \(String(cString: crashfwd_curl_easy_strerror(failure)))",
                url: Redactor.shared.redact(url))
        }
    }
}

/// Carries an upload's progress closure through libcurl's `XFERINFODATA` pointer.
final class ProgressRelay {
    let report: (UInt64, UInt64) -> Bool
    init(_ report: @escaping (UInt64, UInt64) -> Bool) { self.report = report }
}

private func relayProgress(
    _ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t,
    _ uploadTotal: curl_off_t, _ uploaded: curl_off_t
) -> Int32 {
    guard let context else { return 0 }
    let relay = Unmanaged<ProgressRelay>.fromOpaque(context).takeUnretainedValue()
    return relay.report(UInt64(max(0, uploaded)), UInt64(max(0, uploadTotal))) ? 1 : 0
}
