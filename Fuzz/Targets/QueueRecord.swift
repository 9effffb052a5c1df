@testable import CrashfwdCore

/// Decodes the input as a queued report file, as the queue does after a restart, and
/// encodes what it decoded again.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQueueRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let report = try? JSONCoding.decode(Report.self, from: bytes) else { return 0 }
    guard let encoded = try? JSONCoding.encode(report, pretty: true),
        let decoded = try? JSONCoding.decode(Report.self, from: encoded)
    else {
        fatalError("a decoded report did not encode and decode again")
    }
    // The id and state decide where the queue files a report, so they must survive.
    if decoded.id != report.id || decoded.state != report.state {
        fatalError("report changed in a round trip")
    }
    return 0
}
