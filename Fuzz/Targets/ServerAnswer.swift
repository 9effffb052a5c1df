@testable import CrashfwdCore

/// Parses the input as a create-ticket response body and as a `Retry-After` header.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerAnswer(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let response = HTTPResponse(status: 201, headers: [:], body: bytes)
    _ = ServerAnswer(response: response, idField: "id")
    _ = ServerAnswer.describe(response)
    let header = String(decoding: bytes, as: UTF8.self)
    if let seconds = RetryPolicy.retryAfterSeconds(header, now: 1_700_000_000) {
        if !(seconds >= 0 && seconds <= 86400) {
            fatalError("Retry-After out of range: \(seconds)")
        }
    }
    return 0
}
