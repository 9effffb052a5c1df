@testable import CrashfwdCore

/// Parses the first line of the input as a template and renders it with the rest of the
/// input as every variable's value, checking that the value is inserted as plain text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplate(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 10) ?? size
    let source = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<split]), as: UTF8.self)
    let value = String(
        decoding: UnsafeBufferPointer(rebasing: bytes[min(split + 1, size)...]), as: UTF8.self)
    guard let template = try? Template(source) else { return 0 }
    _ = template.render { _ in value }
    let plain = try? Template("<{{v}}>")
    if let plain, plain.render({ _ in value }) != "<\(value)>" {
        fatalError("a rendered value was not inserted verbatim")
    }
    return 0
}
