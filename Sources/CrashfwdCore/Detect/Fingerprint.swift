/// A stable identity for a crash, so that repeats of one bug share one fingerprint.
public enum Fingerprint {
    /// Hashes the kind, the program and the normalised top frames; 16 hex digits.
    public static func compute(kind: String, program: String, frames: [String]) -> String {
        let normalised = frames.prefix(5).map(normalise).joined(separator: "\n")
        return String(SHA256.hex("\(kind)\n\(normalise(program))\n\(normalised)").prefix(16))
    }

    /// Fingerprints a detection from its captures: the exception or signal and the top
    /// frame, or the message when no frame was captured, or the block's first line.
    public static func compute(for detection: Detection) -> String {
        let captures = detection.captures
        var frames: [String] = []
        if let headline = captures["exception"] ?? captures["signal"] { frames.append(headline) }
        if let frame = captures["top_frame"] ?? captures["message"] {
            frames.append(frame)
        } else if let first = detection.lines.first {
            frames.append(first)
        }
        return compute(
            kind: captures["kind"] ?? detection.matcher, program: captures["program"] ?? "",
            frames: frames)
    }

    /// Replaces what changes between two runs of the same crash with `#`: decimal numbers
    /// (pids, times, counts), hex addresses (`0x7ffd...`, or bare runs of 8 or more hex
    /// digits) and the names inside temporary directories (`/tmp/xyz` becomes `/tmp/#`).
    static func normalise(_ line: String) -> String {
        var output = ""
        var word = ""
        var previous: Character = " "
        for character in line {
            if character.isLetter || character.isNumber || character == "_" {
                word.append(character)
                continue
            }
            output += normaliseWord(word, after: previous)
            if !word.isEmpty { previous = word.last ?? previous }
            word = ""
            output.append(character)
            previous = character
        }
        output += normaliseWord(word, after: previous)
        return replaceTemporaryNames(output)
    }

    private static func normaliseWord(_ word: String, after previous: Character) -> String {
        guard let first = word.first else { return "" }
        if word.allSatisfy(\.isNumber) { return "#" }
        let lower = word.lowercased()
        if lower.hasPrefix("0x") && lower.dropFirst(2).allSatisfy(\.isHexDigit) { return "#" }
        let isHex = word.allSatisfy(\.isHexDigit)
        if isHex && word.count >= 8 && word.contains(where: \.isNumber) { return "#" }
        // Numbers glued to a unit or a sign, such as `87033376kB` or `T0`, keep the unit.
        if first.isNumber {
            let unit = word.drop { $0.isNumber }
            return "#" + unit
        }
        return word
    }

    /// Replaces the first path component under a temporary directory with `#`.
    private static func replaceTemporaryNames(_ text: String) -> String {
        let characters = Array(text)
        let directories = ["/tmp/", "/var/tmp/", "/dev/shm/"].map { Array($0) }
        var output = ""
        var index = 0
        while index < characters.count {
            let directory = directories.first { directory in
                index + directory.count <= characters.count
                    && Array(characters[index..<index + directory.count]) == directory
            }
            guard let directory else {
                output.append(characters[index])
                index += 1
                continue
            }
            output += String(directory) + "#"
            index += directory.count
            while index < characters.count, !"/ ):'\"".contains(characters[index]) { index += 1 }
        }
        return output
    }
}
