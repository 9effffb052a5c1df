/// A pattern of a matcher that hit PCRE2's match or depth limit.
public struct MatchLimitEvent: Sendable, Equatable {
    public var matcher: String
    public var pattern: String
    /// Lines on which this pattern hit a limit so far.
    public var count: Int
}

/// Counts match-limit hits per matcher and pattern, and hands out each pattern's first
/// hit once, so a hostile line repeated a million times is logged once.
struct MatchLimitCounter {
    private(set) var counts: [String: [String: Int]] = [:]
    private var newEvents: [MatchLimitEvent] = []

    mutating func record(matcher: String, pattern: String) {
        let count = (counts[matcher]?[pattern] ?? 0) + 1
        counts[matcher, default: [:]][pattern] = count
        if count == 1 {
            newEvents.append(MatchLimitEvent(matcher: matcher, pattern: pattern, count: 1))
        }
    }

    mutating func takeNewEvents() -> [MatchLimitEvent] {
        let events = newEvents.map { event in
            var updated = event
            updated.count = counts[event.matcher]?[event.pattern] ?? event.count
            return updated
        }
        newEvents = []
        return events
    }
}

extension Detector {
    /// Lines per matcher on which some pattern hit a PCRE2 limit, since the detector began.
    public var matchLimitHits: [String: Int] {
        limits.counts.mapValues { $0.values.reduce(0, +) }
    }
}
