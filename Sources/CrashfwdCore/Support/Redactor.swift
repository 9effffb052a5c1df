import Synchronization

/// Removes secrets from text before it is logged, stored or shown.
///
/// Two rules apply: the value of every `apiKey=` query parameter becomes `***`, and every
/// secret registered with `register(_:)` (the loaded API keys) is replaced wherever it
/// appears, even outside a URL.
public final class Redactor: Sendable {
    public static let shared = Redactor()

    private let secrets = Mutex<[String]>([])

    /// Adds a secret to replace; secrets shorter than 4 characters are ignored to avoid
    /// mangling ordinary text.
    public func register(_ secret: String) {
        guard secret.count >= 4 else { return }
        secrets.withLock { list in
            if !list.contains(secret) { list.append(secret) }
        }
    }

    public func redact(_ text: String) -> String {
        var result = Redactor.redactQueryKey(text)
        for secret in secrets.withLock({ $0 }) where result.contains(secret) {
            result = result.replacingOccurrences(secret, with: "***")
        }
        return result
    }

    /// Replaces the value of every `apiKey=` parameter (case-insensitive name) with `***`.
    public static func redactQueryKey(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let name = Array("apikey=".utf8)
        let stops = Set("&# \"'\n<>".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + name.count <= bytes.count && matchesIgnoringCase(bytes, at: index, name) {
                output.append(contentsOf: bytes[index..<index + name.count])
                output.append(contentsOf: Array("***".utf8))
                index += name.count
                while index < bytes.count && !stops.contains(bytes[index]) { index += 1 }
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func matchesIgnoringCase(_ bytes: [UInt8], at start: Int, _ lowercase: [UInt8]) -> Bool {
        for offset in 0..<lowercase.count {
            var byte = bytes[start + offset]
            if byte >= 65 && byte <= 90 { byte += 32 }
            if byte != lowercase[offset] { return false }
        }
        return true
    }
}
