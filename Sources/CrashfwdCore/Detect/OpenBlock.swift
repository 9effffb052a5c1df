/// A crash block that has started and may still grow.
struct OpenBlock {
    var matcher: Int
    var detection: Detection
    var byteCount: Int
    /// Lines seen after the last block line (blank lines, and a matcher's chain header);
    /// they join the block only if a later line continues it.
    var pendingLines: [String] = []
    /// Whether the block has had its end line and waits only for a chain header followed
    /// by a new start line (see `MatcherConfig.chainHeader`).
    var ended = false
    /// Whether a chain header line follows the end line, so a start line continues the block.
    var chainHeaderSeen = false
    var requirementMet: Bool
    var deadline: Double
    var position: RecordPosition
    var lastCaptureWins: Bool

    /// Adds a line and the captures of the pattern it matched. Returns false when the line
    /// does not fit `maxLines` or `maxBytes`, in which case the block is marked truncated.
    mutating func append(_ line: String, captures: [String: String], limits: MatcherConfig)
        -> Bool
    {
        let lines = pendingLines + [line]
        pendingLines = []
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
