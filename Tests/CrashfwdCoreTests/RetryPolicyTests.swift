import Testing

@testable import CrashfwdCore

/// SplitMix64, so jitter tests draw the same sequence on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

@Suite struct RetryPolicyTests {
    static let table: [(Int?, DeliveryOutcome)] = [
        (nil, .transient),
        (200, .success), (201, .success), (204, .success),
        (408, .transient), (429, .transient),
        (500, .transient), (502, .transient), (503, .transient), (504, .transient),
        (599, .transient),
        (501, .permanent),
        (400, .permanent), (413, .permanent), (422, .permanent), (409, .permanent),
        (410, .permanent),
        (401, .endpointRejected), (403, .endpointRejected), (404, .endpointRejected),
        (301, .permanent), (302, .permanent), (100, .permanent),
    ]

    @Test(arguments: table)
    func classifyStatus(status: Int?, expected: DeliveryOutcome) {
        #expect(RetryPolicy.classify(status: status) == expected)
    }

    @Test(arguments: [(1, 0.05), (2, 0.1), (3, 0.2), (5, 0.8), (6, 1.0), (60, 1.0), (0, 0.05)])
    func ceilingDoublesUpToCap(attempt: Int, expected: Double) {
        let policy = RetryPolicy(initialBackoff: 0.05, maximumBackoff: 1)
        #expect(abs(policy.ceiling(afterAttempt: attempt) - expected) < 1e-9)
    }

    @Test func delayJitterSpansZeroToCeiling() {
        let policy = RetryPolicy(initialBackoff: 1, maximumBackoff: 300)
        var generator = SeededGenerator(state: 7)
        let delays = (0..<2000).map { _ in
            policy.delay(afterAttempt: 4, retryAfter: nil, using: &generator)
        }
        #expect(delays.allSatisfy { $0 >= 0 && $0 <= 8 })
        #expect((delays.min() ?? 8) < 0.1)
        #expect((delays.max() ?? 0) > 7.9)
    }

    @Test func delayNeverBelowRetryAfter() {
        let policy = RetryPolicy(initialBackoff: 1, maximumBackoff: 2)
        var generator = SeededGenerator(state: 1)
        for _ in 0..<100 {
            let first = policy.delay(afterAttempt: 1, retryAfter: 30, using: &generator)
            #expect(first >= 30)
            #expect(first <= 31)
            #expect(policy.delay(afterAttempt: 9, retryAfter: 0.5, using: &generator) >= 0.5)
        }
    }

    @Test func delayStaysWithinBounds() {
        let policy = RetryPolicy(initialBackoff: 0.05, maximumBackoff: 1)
        for attempt in 1...30 {
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil)
            #expect(delay >= 0)
            #expect(delay <= 1)
        }
    }

    static let now = 784_111_777.0  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test(arguments: [
        ("120", 120.0), (" 7 ", 7.0), ("0", 0.0), ("999999", 86400.0),
        ("Sun, 06 Nov 1994 08:51:37 GMT", 120.0),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
        ("Sat, 05 Nov 1994 08:49:37 GMT", 0.0),
        ("Mon, 07 Nov 1994 08:49:38 GMT", 86400.0),
    ])
    func retryAfterParses(header: String, expected: Double) {
        #expect(RetryPolicy.retryAfterSeconds(header, now: Self.now) == expected)
    }

    @Test(arguments: ["", "soon", "-5", "Sun, 06 Nov 1994 08:49:37 UTC", "nan", "inf"])
    func retryAfterRejectsInvalid(header: String) {
        #expect(RetryPolicy.retryAfterSeconds(header, now: Self.now) == nil)
    }

    @Test func retryAfterMissing() {
        #expect(RetryPolicy.retryAfterSeconds(nil, now: Self.now) == nil)
    }

    @Test func httpDateMatchesKnownEpoch() {
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Self.now)
    }

    @Test(arguments: [
        "Sun, 6666666666666660 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 99999999999999999 08:49:37 GMT",
        "Sun, 06 Nov 1994 99999999999999999:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 0 08:49:37 GMT",
    ])
    func httpDateRejectsOutOfRangeFields(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
        #expect(RetryPolicy.retryAfterSeconds(text, now: Self.now) == nil)
    }

    @Test func tokenBucketSpacesRequests() {
        var bucket = TokenBucket(rate: 2, now: 100)
        #expect(bucket.reserve(now: 100) == 0)
        #expect(bucket.reserve(now: 100) == 0)
        #expect(bucket.reserve(now: 100) == 0.5)
        #expect(bucket.reserve(now: 100) == 1.0)
        #expect(bucket.reserve(now: 102) == 0)
    }

    @Test func tokenBucketZeroRateIsUnlimited() {
        var bucket = TokenBucket(rate: 0, now: 0)
        for _ in 0..<100 { #expect(bucket.reserve(now: 0) == 0) }
    }
}

@Suite struct StartupDelayTests {
    @Test(arguments: [
        (30.0, 5.0, 0.5, 10.0), (30.0, 5.0, 0.1, 0.0), (30.0, 3600.0, 1.0, 0.0),
        (30.0, 0.0, 1.0, 30.0), (0.0, 1.0, 1.0, 0.0),
    ])
    func startupWaitCountsFromBoot(
        maximum: Double, uptime: Double, fraction: Double, expected: Double
    ) {
        #expect(
            Deliverer.startupWait(maximum: maximum, uptime: uptime, fraction: fraction) == expected)
    }
}
