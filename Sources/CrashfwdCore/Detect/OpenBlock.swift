/// A crash block that has started and may still grow.
struct OpenBlock {
    var matcher: Int
    var detection: Detection
    var byteCount: Int
    /// Blank lines seen after the last block line; they join the block only if a later
    /// line continues it.
    var pendingBlankLines: [String] = []
    var requirementMet: Bool
    var deadline: Double
    var position: RecordPosition
    var lastCaptureWins: Bool

    /// Adds a line and the captures of the pattern it matched. Returns false when the line
    /// does not fit `maxLines` or `maxBytes`, in which case the block is marked truncated.
    mutating func append(_ line: String, captures: [String: String], limits: MatcherConfig)
        -> Bool
    {
        let lines = pendingBlankLines + [line]
        pendingBlankLines = []
        for line in lines {
            let size = line.utf8.count + 1
            if detection.lines.count >= limits.maxLines || byteCount + size > limits.maxBytes {
                detection.truncated = true
                return false
            }
            detection.lines.append(line)
            byteCount += size
        }
        merge(captures)
        return true
    }

    mutating func merge(_ captures: [String: String]) {
        for (name, value) in captures where lastCaptureWins || detection.captures[name] == nil {
            detection.captures[name] = value
        }
    }
}

/// A finished block that still collects `context_after` lines of its stream.
struct AwaitingContext {
    var detection: Detection
    var remaining: Int
    var deadline: Double
    var position: RecordPosition
}
