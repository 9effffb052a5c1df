import Testing

@testable import CrashfwdCore

@Suite struct OverloadPacingTests {
    @Test func overloadHoldsForRetryAfterPlusJitter() {
        var pacing = OverloadPacing(rateLimit: 2, interval: 60)
        pacing.overloaded(now: 1000, retryAfter: 1, fraction: 0.5)
        #expect(pacing.rate == 1.0 / 60)
        #expect(pacing.threshold == 1)
        #expect(pacing.nextSendAt == 1031)
        let early = pacing.reserve(now: 1030.9)
        #expect(!early)
        let onTime = pacing.reserve(now: 1031)
        #expect(onTime)
        #expect(pacing.nextSendAt == 1091)
    }

    @Test func slowStartDoublesUpToHalfTheOldRate() {
        var pacing = OverloadPacing(rateLimit: 2, interval: 8)
        pacing.overloaded(now: 0, retryAfter: 0, fraction: 0)
        var rates: [Double] = []
        for _ in 0..<4 {
            let recovered = pacing.accepted()
            #expect(!recovered)
            rates.append(pacing.rate)
        }
        #expect(rates == [0.25, 0.5, 1, 1.005])
    }

    @Test func additiveIncreaseEndsPacingAtCeiling() {
        var pacing = OverloadPacing(rateLimit: 2, interval: 1)
        pacing.overloaded(now: 0, retryAfter: 0, fraction: 0)
        var accepted = 0
        while !pacing.accepted() {
            accepted += 1
            #expect(accepted < 1000)
        }
        #expect(pacing.rate == 2)
        // From 1 to 2 requests per second in steps of 0.25% of 2: 200 steps.
        #expect(accepted == 200)
    }

    @Test func secondOverloadHalvesTheThreshold() {
        var pacing = OverloadPacing(rateLimit: 2, interval: 4)
        pacing.overloaded(now: 0, retryAfter: 0, fraction: 0)
        _ = pacing.accepted()
        _ = pacing.accepted()
        #expect(pacing.rate == 1)
        pacing.overloaded(now: 10, retryAfter: 2, fraction: 1)
        #expect(pacing.rate == 0.25)
        #expect(pacing.threshold == 0.5)
        #expect(pacing.nextSendAt == 16)
    }

    @Test func unlimitedRateRecoversToTenPerSecond() {
        var pacing = OverloadPacing(rateLimit: 0, interval: 60)
        #expect(pacing.ceiling == OverloadPacing.unlimitedCeiling)
        pacing.overloaded(now: 0, retryAfter: 0, fraction: 0)
        #expect(pacing.threshold == OverloadPacing.unlimitedCeiling / 2)
    }

    @Test func intervalShorterThanRateLimitKeepsCeiling() {
        let pacing = OverloadPacing(rateLimit: 2, interval: 0.1)
        #expect(pacing.floor == 2)
    }
}
