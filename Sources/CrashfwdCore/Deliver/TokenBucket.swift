/// A token bucket that spreads requests to at most `rate` per second.
///
/// The bucket holds up to `capacity` tokens (at least one) and refills continuously. A
/// caller reserves a token and waits the returned delay, so callers on several threads
/// queue up in order instead of all waking at the same moment. Not thread-safe: guard it.
struct TokenBucket: Sendable {
    let rate: Double
    let capacity: Double
    private var tokens: Double
    private var updatedAt: Double

    /// `rate` 0 disables the limit.
    init(rate: Double, now: Double) {
        self.rate = rate
        capacity = max(1, rate.rounded(.down))
        tokens = capacity
        updatedAt = now
    }

    /// Takes one token and returns the seconds to wait before using it (0 when one was
    /// available).
    mutating func reserve(now: Double) -> Double {
        guard rate > 0 else { return 0 }
        tokens = min(capacity, tokens + max(0, now - updatedAt) * rate)
        updatedAt = now
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / rate
    }
}
