import CMicroHTTPD
import Foundation

/// The libmicrohttpd daemon and every call into libmicrohttpd.
///
/// Ownership of C and MHD objects:
/// - The daemon is created by `start` and freed by `stop` (`MHD_stop_daemon`). The server
///   object itself is passed to MHD unretained, so it must outlive the daemon.
/// - Each request's `Exchange` is retained into MHD's per-request slot (`con_cls`) on the
///   first access-handler call and released by the request-completed callback, which MHD
///   calls for finished and aborted requests alike.
/// - A post processor belongs to its `Exchange`; the final access-handler call or, for an
///   aborted request, the completed callback destroys it.
/// - Responses are destroyed right after `MHD_queue_response`, which keeps its own reference.
///   A partial-body response owns a retained `PartialBody`, released by MHD's free callback.
/// - The TLS certificate and key are `strdup` copies, freed after `MHD_stop_daemon`, because
///   MHD does not copy them.
final class HTTPServer: @unchecked Sendable {
    let service: SandboxService
    private var daemon: OpaquePointer?
    private var tlsCertificate: UnsafeMutablePointer<CChar>?
    private var tlsKey: UnsafeMutablePointer<CChar>?

    init(service: SandboxService) {
        self.service = service
    }

    /// Starts listening on 127.0.0.1 and returns the bound port.
    func start(port: UInt16, tlsCertificatePEM: String?, tlsKeyPEM: String?) throws -> UInt16 {
        if let tlsCertificatePEM, let tlsKeyPEM {
            tlsCertificate = strdup(tlsCertificatePEM)
            tlsKey = strdup(tlsKeyPEM)
        }
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_THREAD_PER_CONNECTION.rawValue
            | MHD_USE_ERROR_LOG.rawValue | MHD_USE_AUTO.rawValue
        daemon = sandbox_mhd_start_loopback(
            flags, port, handleAccess, Unmanaged.passUnretained(self).toOpaque(),
            handleCompleted, Unmanaged.passUnretained(self).toOpaque(), 60, tlsCertificate, tlsKey)
        guard let daemon else {
            throw UsageError(
                "Cannot listen on 127.0.0.1:\(port): the port may be in use or the TLS "
                    + "certificate and key may be invalid. Pick another port or pass --port 0.")
        }
        return sandbox_mhd_bound_port(daemon)
    }

    /// Stops the daemon, which closes the listening socket and open connections and joins
    /// MHD's threads.
    func stop() {
        if let daemon {
            MHD_stop_daemon(daemon)
            self.daemon = nil
        }
        free(tlsCertificate)
        free(tlsKey)
        tlsCertificate = nil
        tlsKey = nil
    }

    fileprivate func begin(
        _ connection: OpaquePointer, url: String, method: String,
        slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        let head = RequestHead(
            method: method, path: url, query: queryArguments(connection),
            contentType: headerValue(connection, "Content-Type"),
            contentLength: contentLength(connection), arrival: Date())
        let exchange = Exchange(
            head: head, plan: service.plan(head), filePartName: service.config.filePartName)
        slot.pointee = Unmanaged.passRetained(exchange).toOpaque()
        if let response = exchange.plan.immediateResponse {
            return deliver(response, exchange, connection)
        }
        if case .upload = exchange.plan.body {
            startUpload(exchange, connection)
        }
        return .YES
    }

    private func startUpload(_ exchange: Exchange, _ connection: OpaquePointer) {
        do {
            exchange.sink = try UploadSink(
                directory: service.store.incomingDirectory, maxBytes: service.config.maxFileBytes)
        } catch {
            logLine("cannot receive upload: \(error)")
            exchange.overrideResponse = .error(500, "Cannot store the upload: \(error).")
            return
        }
        exchange.postProcessor = MHD_create_post_processor(
            connection, 64 * 1024, handlePostData, Unmanaged.passUnretained(exchange).toOpaque())
        if exchange.postProcessor == nil {
            exchange.sink?.discard()
            exchange.sink = nil
            exchange.overrideResponse = .error(
                400,
                "Invalid upload: expected Content-Type multipart/form-data with the file in a "
                    + "part named '\(service.config.filePartName)'.")
        }
    }

    /// Consumes one chunk of the request body; returns false to drop the connection.
    fileprivate func receive(_ exchange: Exchange, _ chunk: UnsafeRawBufferPointer) -> Bool {
        exchange.bytesIn += Int64(chunk.count)
        if exchange.plan.fault?.action == .closeMidRequest {
            exchange.sink?.discard()
            exchange.sink = nil
            record(exchange, status: 0)
            return false
        }
        if let postProcessor = exchange.postProcessor, let base = chunk.baseAddress {
            let pointer = base.assumingMemoryBound(to: CChar.self)
            if MHD_post_process(postProcessor, pointer, chunk.count) == .NO {
                exchange.overrideResponse = .error(400, "Invalid multipart/form-data body.")
            }
            return true
        }
        if case .collect(let maxBytes) = exchange.plan.body, !exchange.bodyTooLarge {
            if exchange.body.count + chunk.count > maxBytes {
                exchange.bodyTooLarge = true
                exchange.body = Data()
            } else {
                exchange.body.append(contentsOf: chunk)
            }
        }
        return true
    }

    fileprivate func complete(_ exchange: Exchange, _ connection: OpaquePointer) -> MHD_Result {
        if let postProcessor = exchange.postProcessor {
            exchange.postProcessor = nil
            if MHD_destroy_post_processor(postProcessor) == .NO,
                exchange.overrideResponse == nil
            {
                exchange.overrideResponse = .error(400, "Incomplete multipart/form-data body.")
            }
        }
        let response: HTTPResponse
        if let override = exchange.overrideResponse {
            exchange.sink?.discard()
            response = override
        } else {
            response = service.respond(
                exchange.head, plan: exchange.plan, body: exchange.body,
                bodyTooLarge: exchange.bodyTooLarge, upload: exchange.sink)
        }
        exchange.sink = nil
        return deliver(response, exchange, connection)
    }

    private func deliver(
        _ response: HTTPResponse, _ exchange: Exchange, _ connection: OpaquePointer
    )
        -> MHD_Result
    {
        record(exchange, status: response.delivery == .dropBeforeResponse ? 0 : response.status)
        let mhdResponse: OpaquePointer?
        switch response.delivery {
        case .dropBeforeResponse:
            return .NO
        case .complete:
            mhdResponse = response.body.withUnsafeBytes { buffer in
                MHD_create_response_from_buffer(
                    buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                    .RESPMEM_MUST_COPY)
            }
        case .dropMidResponse:
            let partial = PartialBody(body: response.body)
            mhdResponse = MHD_create_response_from_callback(
                UInt64(response.body.count), 4096, readPartialBody,
                Unmanaged.passRetained(partial).toOpaque(), releasePartialBody)
        }
        guard let mhdResponse else { return .NO }
        for header in response.headers {
            MHD_add_response_header(mhdResponse, header.name, header.value)
        }
        let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
        MHD_destroy_response(mhdResponse)
        return result
    }

    /// Adds the request to the API log once; status 0 marks a dropped connection.
    fileprivate func record(_ exchange: Exchange, status: Int) {
        guard exchange.plan.isAPI, !exchange.logged else { return }
        exchange.logged = true
        service.log.record(
            method: exchange.head.method, path: exchange.head.redactedPath, status: status,
            bytesIn: exchange.bytesIn, arrival: exchange.head.arrival)
    }

    private func headerValue(_ connection: OpaquePointer, _ name: String) -> String? {
        MHD_lookup_connection_value(connection, .HEADER_KIND, name).map { String(cString: $0) }
    }

    private func contentLength(_ connection: OpaquePointer) -> Int64? {
        let length = sandbox_mhd_content_length(connection)
        return length < 0 ? nil : length
    }

    private func queryArguments(_ connection: OpaquePointer) -> [(name: String, value: String?)] {
        let collector = QueryCollector()
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values(
                connection, .GET_ARGUMENT_KIND, collectQueryArgument,
                Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.arguments
    }
}

/// Per-request state. MHD calls the access handler for one request sequentially on the
/// connection's thread, so the fields need no lock.
private final class Exchange {
    let head: RequestHead
    let plan: RequestPlan
    var body = Data()
    var bodyTooLarge = false
    var bytesIn: Int64 = 0
    var sink: UploadSink?
    var postProcessor: OpaquePointer?
    /// A response that replaces the service's, for bodies the server itself could not read.
    var overrideResponse: HTTPResponse?
    var logged = false
    let filePartName: String

    init(head: RequestHead, plan: RequestPlan, filePartName: String) {
        self.head = head
        self.plan = plan
        self.filePartName = filePartName
    }
}

private final class QueryCollector {
    var arguments: [(name: String, value: String?)] = []
}

/// A response body of which only the first half is sent before the connection is aborted.
private final class PartialBody {
    let body: Data
    init(body: Data) { self.body = body }
}

private func handleAccess(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ url: UnsafePointer<CChar>?, _ method: UnsafePointer<CChar>?,
    _ version: UnsafePointer<CChar>?, _ uploadData: UnsafePointer<CChar>?,
    _ uploadDataSize: UnsafeMutablePointer<Int>?,
    _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let url, let method, let uploadDataSize, let slot else {
        return .NO
    }
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    guard let state = slot.pointee else {
        return server.begin(
            connection, url: String(cString: url), method: String(cString: method), slot: slot)
    }
    let exchange = Unmanaged<Exchange>.fromOpaque(state).takeUnretainedValue()
    if uploadDataSize.pointee > 0 {
        let chunk = UnsafeRawBufferPointer(start: uploadData, count: uploadDataSize.pointee)
        uploadDataSize.pointee = 0
        return server.receive(exchange, chunk) ? .YES : .NO
    }
    return server.complete(exchange, connection)
}

private func handleCompleted(
    _ cls: UnsafeMutableRawPointer?, _ connection: OpaquePointer?,
    _ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ termination: MHD_RequestTerminationCode
) {
    guard let cls, let slot, let state = slot.pointee else { return }
    slot.pointee = nil
    let server = Unmanaged<HTTPServer>.fromOpaque(cls).takeUnretainedValue()
    let exchange = Unmanaged<Exchange>.fromOpaque(state).takeRetainedValue()
    if let postProcessor = exchange.postProcessor {
        exchange.postProcessor = nil
        _ = MHD_destroy_post_processor(postProcessor)
    }
    exchange.sink?.discard()
    exchange.sink = nil
    server.record(exchange, status: 0)
}

private func handlePostData(
    _ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
    _ fileName: UnsafePointer<CChar>?, _ contentType: UnsafePointer<CChar>?,
    _ transferEncoding: UnsafePointer<CChar>?, _ data: UnsafePointer<CChar>?,
    _ offset: UInt64, _ size: Int
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let exchange = Unmanaged<Exchange>.fromOpaque(cls).takeUnretainedValue()
    guard let sink = exchange.sink,
        String(cString: key) == exchange.filePartName
    else { return .YES }
    let name = fileName.map { String(cString: $0) } ?? "upload.bin"
    sink.append(
        UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size), clientFileName: name)
    return .YES
}

private func collectQueryArgument(
    _ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind, _ key: UnsafePointer<CChar>?,
    _ value: UnsafePointer<CChar>?
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<QueryCollector>.fromOpaque(cls).takeUnretainedValue()
    collector.arguments.append((String(cString: key), value.map { String(cString: $0) }))
    return .YES
}

private func readPartialBody(
    _ cls: UnsafeMutableRawPointer?, _ position: UInt64, _ buffer: UnsafeMutablePointer<CChar>?,
    _ maxBytes: Int
) -> Int {
    guard let cls, let buffer else { return sandbox_mhd_reader_end_with_error() }
    let partial = Unmanaged<PartialBody>.fromOpaque(cls).takeUnretainedValue()
    let half = max(1, partial.body.count / 2)
    guard position < UInt64(half) else { return sandbox_mhd_reader_end_with_error() }
    let start = Int(position)
    let count = min(maxBytes, half - start)
    partial.body.withUnsafeBytes { bytes in
        guard let base = bytes.baseAddress else { return }
        UnsafeMutableRawPointer(buffer).copyMemory(from: base + start, byteCount: count)
    }
    return count
}

private func releasePartialBody(_ cls: UnsafeMutableRawPointer?) {
    guard let cls else { return }
    Unmanaged<PartialBody>.fromOpaque(cls).release()
}
