/// The request rate of one destination after it responded with 429 (or a retryable status
/// with `Retry-After`), modelled on TCP's congestion control.
///
/// A device cannot see how many others share the server, so it reacts to overload the way
/// TCP reacts to a retransmission timeout. The rate falls to one request per
/// `overload_interval`. It then doubles with each accepted request until it reaches half
/// the rate it had before (slow start), and after that grows by `additiveShare` of the
/// ceiling per accepted request (congestion avoidance). A fleet that powers on together
/// thus backs off as a whole instead of each device going on at `rate_limit`. Not
/// thread-safe, so the caller guards it with a lock.
struct OverloadPacing: Sendable, Equatable {
    /// The rate the destination recovers to, in requests per second: `rate_limit`, or
    /// `unlimitedCeiling` when `rate_limit` is 0.
    let ceiling: Double
    /// The rate right after an overload response: one request per `overload_interval`.
    let floor: Double
    /// Requests per second allowed now.
    private(set) var rate: Double
    /// The rate up to which slow start doubles `rate`.
    private(set) var threshold: Double
    /// Unix time before which the destination gets no request after an overload response.
    private(set) var holdUntil: Double = 0
    /// Unix time of the last request sent; requests are `1 / rate` seconds apart.
    private(set) var lastSendAt: Double = -.infinity

    /// The recovery ceiling when `rate_limit` is 0 (no limit): once back at this rate the
    /// destination is no longer paced.
    static let unlimitedCeiling = 10.0
    /// Share of the ceiling added per accepted request in congestion avoidance, so about
    /// 200 accepted requests bring the rate from half the ceiling back to the ceiling.
    static let additiveShare = 0.0025

    /// Starts pacing a destination that was sending at `rateLimit` (0: no limit) when it
    /// reported overload; `interval` is `overload_interval` in seconds.
    init(rateLimit: Double, interval: Double) {
        ceiling = rateLimit > 0 ? rateLimit : OverloadPacing.unlimitedCeiling
        floor = min(1 / interval, ceiling)
        rate = ceiling
        threshold = ceiling
    }

    /// Unix time of the next allowed request.
    var nextSendAt: Double { max(holdUntil, lastSendAt + 1 / rate) }

    /// Records an overload response at `now` (Unix seconds). The rate falls to `floor`, and the
    /// next request waits for `retryAfter` plus `fraction` (0...1) of one interval at that
    /// rate, so devices sent the same `Retry-After` come back spread over the interval.
    mutating func overloaded(now: Double, retryAfter: Double, fraction: Double) {
        threshold = max(floor, rate / 2)
        rate = floor
        holdUntil = max(holdUntil, now + retryAfter + fraction / rate)
        // The hold alone decides when the next request goes; the interval counts from it.
        lastSendAt = -.infinity
    }

    /// Records an accepted request and returns true once the rate is back at the ceiling,
    /// when the caller can stop pacing the destination.
    mutating func accepted() -> Bool {
        if rate < threshold {
            rate = min(threshold, rate * 2)
        } else {
            rate = min(ceiling, rate + ceiling * OverloadPacing.additiveShare)
        }
        return rate >= ceiling
    }

    /// Takes the next send slot at `now` and returns true, or returns false when the
    /// destination must wait until `nextSendAt`.
    mutating func reserve(now: Double) -> Bool {
        guard now >= nextSendAt else { return false }
        lastSendAt = now
        return true
    }
}
