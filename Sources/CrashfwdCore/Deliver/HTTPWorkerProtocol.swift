#if canImport(Glibc)
    import Glibc
#endif

/// The messages between the daemon and its HTTP worker, over a Unix stream socket.
///
/// Each message is a frame: a kind byte, the payload length as a 32-bit little-endian
/// integer, then the payload. The daemon sends a request and may send aborts. The worker
/// replies with any number of upload progress frames, then one response or failure.
/// Both ends are the same binary, so the format needs no version.
enum WorkerFrameKind: UInt8 {
    case request = 0x52  // "R"
    case abort = 0x41  // "A"
    case progress = 0x50  // "P"
    case response = 0x48  // "H"
    case failure = 0x45  // "E"
}

/// A malformed frame, or a socket that failed or closed in the middle of one.
struct WorkerProtocolError: Error, CustomStringConvertible {
    var description: String
}

struct WorkerFrame {
    /// Largest payload accepted: a response body is capped at 1 MiB, and a request carries
    /// one report's JSON.
    static let maximumPayloadBytes = 64 << 20

    var kind: WorkerFrameKind
    var payload: [UInt8]

    /// Writes the frame whole, retrying partial writes. MSG_NOSIGNAL turns a closed peer
    /// into EPIPE instead of SIGPIPE.
    func write(to socket: Int32) throws {
        var bytes: [UInt8] = [kind.rawValue]
        bytes.reserveCapacity(5 + payload.count)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: payload)
        var offset = 0
        while offset < bytes.count {
            do {
                offset += try bytes.withUnsafeBytes { buffer in
                    try retryingInterrupts("send") {
                        send(
                            socket, buffer.baseAddress! + offset, buffer.count - offset,
                            Int32(MSG_NOSIGNAL))
                    }
                }
            } catch {
                throw WorkerProtocolError(
                    description: "cannot write to the HTTP worker socket: \(error)")
            }
        }
    }

    /// Reads one frame; returns nil when the peer closed the socket between frames.
    static func read(from socket: Int32) throws -> WorkerFrame? {
        guard let header = try readExactly(5, from: socket, endAllowed: true) else { return nil }
        guard let kind = WorkerFrameKind(rawValue: header[0]) else {
            throw WorkerProtocolError(description: "unknown HTTP worker frame kind \(header[0])")
        }
        let length = Int(littleEndian(header[1...4]))
        guard length <= maximumPayloadBytes else {
            throw WorkerProtocolError(
                description:
                    "HTTP worker frame of \(length) bytes is too long (at most \(maximumPayloadBytes))"
            )
        }
        let payload = try readExactly(length, from: socket, endAllowed: false) ?? []
        return WorkerFrame(kind: kind, payload: payload)
    }

    private static func readExactly(_ count: Int, from socket: Int32, endAllowed: Bool) throws
        -> [UInt8]?
    {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received: Int
            do {
                received = try bytes.withUnsafeMutableBytes { buffer in
                    try retryingInterrupts("recv") {
                        recv(socket, buffer.baseAddress! + offset, count - offset, 0)
                    }
                }
            } catch let error as SystemError where error.code == EAGAIN || error.code == EWOULDBLOCK
            {
                // SO_RCVTIMEO ran out (see HTTPWorker.answerDeadline).
                throw WorkerProtocolError(description: "timed out waiting for the HTTP worker")
            } catch {
                throw WorkerProtocolError(
                    description: "cannot read from the HTTP worker socket: \(error)")
            }
            if received == 0 {
                if offset == 0 && endAllowed { return nil }
                throw WorkerProtocolError(
                    description: "the HTTP worker socket closed in the middle of a frame")
            }
            offset += received
        }
        return bytes
    }
}

/// Returns the unsigned integer that `bytes` (at most 8) encode, least significant first.
func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) }
}

/// Builds a frame payload from integers, floating-point numbers, strings and byte arrays.
struct WorkerPayloadWriter {
    private(set) var bytes: [UInt8] = []

    mutating func integer(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func integer(_ value: Int) { integer(UInt64(bitPattern: Int64(value))) }

    mutating func number(_ value: Double) { integer(value.bitPattern) }

    mutating func data(_ value: [UInt8]) {
        integer(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) { data(Array(value.utf8)) }

    /// Writes the flag 0 for an absent string, or 1 followed by the string.
    mutating func optionalString(_ value: String?) {
        bytes.append(value == nil ? 0 : 1)
        if let value { string(value) }
    }
}

/// Reads a payload written by `WorkerPayloadWriter`, in the same order.
struct WorkerPayloadReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func unsignedInteger() throws -> UInt64 {
        guard bytes.count - offset >= 8 else { throw truncated() }
        let value = littleEndian(bytes[offset..<offset + 8])
        offset += 8
        return value
    }

    mutating func integer() throws -> Int { Int(Int64(bitPattern: try unsignedInteger())) }

    mutating func number() throws -> Double { Double(bitPattern: try unsignedInteger()) }

    mutating func data() throws -> [UInt8] {
        let count = try unsignedInteger()
        guard count <= UInt64(bytes.count - offset) else { throw truncated() }
        let value = Array(bytes[offset..<offset + Int(count)])
        offset += Int(count)
        return value
    }

    mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }

    mutating func optionalString() throws -> String? {
        guard offset < bytes.count else { throw truncated() }
        let present = bytes[offset]
        offset += 1
        return present == 0 ? nil : try string()
    }

    private func truncated() -> WorkerProtocolError {
        WorkerProtocolError(description: "HTTP worker frame payload ends early")
    }
}

/// One request for the worker: a JSON post or a file upload, with the destination's
/// transport options.
struct WorkerRequest: Equatable {
    enum Body: Equatable {
        case json([UInt8])
        case file(FileUpload)
    }

    struct FileUpload: Equatable {
        var partName: String
        var filePath: String
        var fileName: String
        var contentType: String
        var maximumSpeed: UInt64
        var stallTimeout: Double
    }

    /// Names the libcurl handle the worker reuses, so each destination keeps its connection.
    var handleKey: String
    var options: TransportOptions
    var url: String
    var body: Body

    func encoded() -> [UInt8] {
        var writer = WorkerPayloadWriter()
        writer.string(handleKey)
        writer.number(options.timeout)
        writer.number(options.connectTimeout)
        writer.optionalString(options.caFile)
        writer.optionalString(options.clientCertificate)
        writer.optionalString(options.clientKey)
        writer.optionalString(options.proxy)
        writer.integer(options.maximumUploadSpeed)
        writer.string(url)
        switch body {
        case .json(let bytes):
            writer.integer(0)
            writer.data(bytes)
        case .file(let upload):
            writer.integer(1)
            writer.string(upload.partName)
            writer.string(upload.filePath)
            writer.string(upload.fileName)
            writer.string(upload.contentType)
            writer.integer(upload.maximumSpeed)
            writer.number(upload.stallTimeout)
        }
        return writer.bytes
    }

    init(handleKey: String, options: TransportOptions, url: String, body: Body) {
        self.handleKey = handleKey
        self.options = options
        self.url = url
        self.body = body
    }

    init(decoding payload: [UInt8]) throws {
        var reader = WorkerPayloadReader(payload)
        handleKey = try reader.string()
        options = TransportOptions()
        options.timeout = try reader.number()
        options.connectTimeout = try reader.number()
        options.caFile = try reader.optionalString()
        options.clientCertificate = try reader.optionalString()
        options.clientKey = try reader.optionalString()
        options.proxy = try reader.optionalString()
        options.maximumUploadSpeed = try reader.integer()
        url = try reader.string()
        switch try reader.integer() {
        case 0:
            body = .json(try reader.data())
        case 1:
            body = .file(
                FileUpload(
                    partName: try reader.string(), filePath: try reader.string(),
                    fileName: try reader.string(), contentType: try reader.string(),
                    maximumSpeed: try reader.unsignedInteger(), stallTimeout: try reader.number()))
        case let kind:
            throw WorkerProtocolError(description: "unknown HTTP worker request body kind \(kind)")
        }
    }
}

extension HTTPResponse {
    func encoded() -> [UInt8] {
        var writer = WorkerPayloadWriter()
        writer.integer(status)
        writer.integer(headers.count)
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            writer.string(name)
            writer.string(value)
        }
        writer.data(body)
        return writer.bytes
    }

    init(decoding payload: [UInt8]) throws {
        var reader = WorkerPayloadReader(payload)
        let status = try reader.integer()
        let count = try reader.integer()
        guard count >= 0 && count <= payload.count else {
            throw WorkerProtocolError(description: "HTTP worker response has \(count) headers")
        }
        var headers: [String: String] = [:]
        for _ in 0..<count {
            let name = try reader.string()
            headers[name] = try reader.string()
        }
        self.init(status: status, headers: headers, body: try reader.data())
    }
}
