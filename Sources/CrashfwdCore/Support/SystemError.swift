#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: the operation, the path or object it acted on, and the saved `errno`.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let path: String?
    public let code: Int32

    public init(_ operation: String, path: String? = nil, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// True for ENOSPC and EDQUOT, the errors a full disk or exhausted quota gives.
    public var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String {
        let reason = String(cString: strerror(code))
        if let path {
            return "\(operation) failed on '\(path)': \(reason) (errno \(code))"
        }
        return "\(operation) failed: \(reason) (errno \(code))"
    }
}

/// Runs a system call, retrying it while it fails with EINTR, and returns its result.
/// A negative result is turned into a `SystemError` carrying the saved `errno`.
@discardableResult
func retryingInterrupts<Result: BinaryInteger>(
    _ operation: String, path: String? = nil, _ call: () -> Result
) throws -> Result {
    while true {
        let result = call()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(operation, path: path, code: code)
    }
}
