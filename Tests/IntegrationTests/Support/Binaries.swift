import Foundation

/// Locates executables built by SwiftPM next to the running test binary.
enum Binaries {
    /// Returns the path of `product` in the build directory of the running tests
    /// (`.build/debug/` for `swift test`), stopping with a clear message when it is missing.
    static func path(_ product: String) -> String {
        let testBinary =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        // An XCTest-style bundle keeps the binary in NAME.xctest/; products sit beside it.
        if directory.pathExtension == "xctest" {
            directory.deleteLastPathComponent()
        }
        let candidate = directory.appendingPathComponent(product).path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            fatalError(
                "Executable '\(product)' not found at \(candidate). Build it first with "
                    + "'swift build --product \(product)', or run the tests with 'swift test', "
                    + "which builds every product.")
        }
        return candidate
    }
}
