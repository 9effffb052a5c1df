import Testing

@testable import CrashfwdCore

@Suite struct RetryPolicyTests {
    @Test(arguments: [
        (nil, DeliveryOutcome.transient), (201, .success), (200, .success), (408, .transient),
        (429, .transient), (500, .transient), (502, .transient), (503, .transient),
        (501, .permanent), (400, .permanent), (413, .permanent), (422, .permanent),
        (401, .endpointRejected), (403, .endpointRejected), (404, .endpointRejected),
    ] as [(Int?, DeliveryOutcome)])
    func classifiesStatus(_ status: Int?, _ outcome: DeliveryOutcome) {
        #expect(RetryPolicy.classify(status: status) == outcome)
    }

    @Test func delayStaysUnderCap() {
        let policy = RetryPolicy(initialBackoff: 1, maximumBackoff: 10)
        for attempt in 1...50 {
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil)
            #expect(delay >= 0 && delay <= 10)
        }
    }

    @Test func retryAfterIsAMinimum() {
        let policy = RetryPolicy(initialBackoff: 0.01, maximumBackoff: 0.02)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 7) == 7)
    }

    @Test func parsesRetryAfterForms() {
        #expect(RetryPolicy.retryAfterSeconds("120", now: 0) == 120)
        #expect(RetryPolicy.retryAfterSeconds("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_700) == 77)
        #expect(RetryPolicy.retryAfterSeconds("soon", now: 0) == nil)
        #expect(RetryPolicy.retryAfterSeconds(nil, now: 0) == nil)
    }
}
