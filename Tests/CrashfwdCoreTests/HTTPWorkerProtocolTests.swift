import Testing

@testable import CrashfwdCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct HTTPWorkerProtocolTests {
    @Test func jsonRequestRoundTrips() throws {
        var options = TransportOptions()
        options.timeout = 12.5
        options.caFile = "/etc/ssl/ca.pem"
        options.proxy = ""
        let request = WorkerRequest(
            handleKey: "beta", options: options, url: "https://example.test/api?apikey=k",
            body: .json(Array(#"{"summary":"crash \u00e9"}"#.utf8)))
        let decoded = try WorkerRequest(decoding: request.encoded())
        #expect(decoded == request)
    }

    @Test func fileRequestRoundTrips() throws {
        let upload = WorkerRequest.FileUpload(
            partName: "file", filePath: "/var/lib/crashfwd/staged/core.zst", fileName: "core.zst",
            contentType: "application/zstd", maximumSpeed: UInt64.max, stallTimeout: 60)
        let request = WorkerRequest(
            handleKey: "beta", options: TransportOptions(), url: "http://127.0.0.1:1/upload",
            body: .file(upload))
        let decoded = try WorkerRequest(decoding: request.encoded())
        #expect(decoded == request)
    }

    @Test func responseRoundTrips() throws {
        let response = HTTPResponse(
            status: 429, headers: ["retry-after": "7", "content-type": "application/json"],
            body: [0, 1, 255])
        let decoded = try HTTPResponse(decoding: response.encoded())
        #expect(decoded.status == 429)
        #expect(decoded.headers == response.headers)
        #expect(decoded.body == response.body)
    }

    @Test func truncatedPayloadThrows() {
        let request = WorkerRequest(
            handleKey: "beta", options: TransportOptions(), url: "http://127.0.0.1:1/",
            body: .json([1, 2, 3]))
        let bytes = request.encoded()
        for length in [0, 1, 9, bytes.count - 1] {
            #expect(throws: WorkerProtocolError.self) {
                try WorkerRequest(decoding: Array(bytes.prefix(length)))
            }
        }
    }

    @Test func oversizedDataLengthThrows() {
        var writer = WorkerPayloadWriter()
        writer.integer(UInt64.max)
        var reader = WorkerPayloadReader(writer.bytes)
        #expect(throws: WorkerProtocolError.self) { try reader.data() }
    }

    @Test func framesCrossSocket() throws {
        let (local, remote) = try socketPair()
        defer {
            close(local)
            close(remote)
        }
        try WorkerFrame(kind: .request, payload: [7, 8, 9]).write(to: local)
        try WorkerFrame(kind: .abort, payload: []).write(to: local)
        let first = try #require(try WorkerFrame.read(from: remote))
        #expect(first.kind == .request)
        #expect(first.payload == [7, 8, 9])
        let second = try #require(try WorkerFrame.read(from: remote))
        #expect(second.kind == .abort)
        #expect(second.payload.isEmpty)
    }

    @Test func closeBetweenFramesEndsReading() throws {
        let (local, remote) = try socketPair()
        defer { close(remote) }
        close(local)
        let frame = try WorkerFrame.read(from: remote)
        #expect(frame == nil)
    }

    @Test func closeInsideFrameThrows() throws {
        let (local, remote) = try socketPair()
        defer { close(remote) }
        // A response header that promises 100 bytes, then the end.
        let partial: [UInt8] = [WorkerFrameKind.response.rawValue, 100, 0, 0, 0, 1, 2]
        _ = partial.withUnsafeBytes { send(local, $0.baseAddress, $0.count, 0) }
        close(local)
        #expect(throws: WorkerProtocolError.self) { try WorkerFrame.read(from: remote) }
    }

    @Test func unknownKindAndHugeLengthThrow() throws {
        let (local, remote) = try socketPair()
        defer {
            close(local)
            close(remote)
        }
        let unknown: [UInt8] = [0x5A, 0, 0, 0, 0]
        let huge: [UInt8] = [WorkerFrameKind.response.rawValue, 0xFF, 0xFF, 0xFF, 0xFF]
        for bytes in [unknown, huge] {
            _ = bytes.withUnsafeBytes { send(local, $0.baseAddress, $0.count, 0) }
            #expect(throws: WorkerProtocolError.self) { try WorkerFrame.read(from: remote) }
        }
    }

    private func socketPair() throws -> (Int32, Int32) {
        var pair: [Int32] = [-1, -1]
        let result = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair)
        try #require(result == 0)
        return (pair[0], pair[1])
    }
}
