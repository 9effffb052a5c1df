@testable import CrashfwdCore

/// Parses the input as a config file. Errors are expected; a crash or a sanitizer report
/// is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? Config.parse(
        text, file: "fuzz.yaml", environment: ["CENTERCODE_API_KEY": "fuzz-key-0000"])
    return 0
}
