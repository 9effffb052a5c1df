@testable import CrashfwdCore

/// Decodes the input as an HTTP worker request and as a response payload. Whatever decodes
/// must decode again from its own encoding to the same bytes. Bytes, not values, are
/// compared, because a NaN timeout is not equal to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkerFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let request = try? WorkerRequest(decoding: bytes) {
        let again = try? WorkerRequest(decoding: request.encoded())
        if again?.encoded() != request.encoded() {
            fatalError("a worker request changed in a round trip")
        }
    }
    if let response = try? HTTPResponse(decoding: bytes) {
        let again = try? HTTPResponse(decoding: response.encoded())
        if again?.status != response.status || again?.headers != response.headers
            || again?.body != response.body
        {
            fatalError("a worker response changed in a round trip")
        }
    }
    return 0
}
