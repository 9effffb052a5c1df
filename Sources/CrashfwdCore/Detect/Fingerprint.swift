/// A stable identity for a crash, so that repeats of one bug share one fingerprint.
public enum Fingerprint {
    /// Hashes the kind, the program and the normalised top frames; 16 hex digits.
    public static func compute(kind: String, program: String, frames: [String]) -> String {
        let normalised = frames.prefix(5).map(normalise).joined(separator: "\n")
        return String(SHA256.hex("\(kind)\n\(program)\n\(normalised)").prefix(16))
    }

    /// Replaces runs of digits and hex addresses with `#`, so pids, addresses and times that
    /// change between runs do not change the fingerprint.
    static func normalise(_ line: String) -> String {
        var output = ""
        var previousWasNumber = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if character.isHexDigit && (character.isNumber || previousWasNumber) {
                if !previousWasNumber { output.append("#") }
                previousWasNumber = true
            } else if character == "x" && previousWasNumber {
                continue
            } else {
                previousWasNumber = false
                output.append(character)
            }
        }
        return output
    }
}
