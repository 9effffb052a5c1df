import Foundation
import Synchronization

/// Decides which requests fail: fault rules, seeded random failures and the rate limit.
final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule] = []
        var random: SplitMix64
        var admittedTimes: [Double] = []
        var rejectedRateLimit = 0
    }

    private let state: Mutex<State>
    private let randomFailureProbability: Double
    private let rateLimit: Int?

    init(rules: [FaultRule], randomFailureProbability: Double, seed: UInt64, rateLimit: Int?) {
        state = Mutex(State(rules: rules, random: SplitMix64(seed: seed)))
        self.randomFailureProbability = randomFailureProbability
        self.rateLimit = rateLimit
    }

    func replaceRules(_ rules: [FaultRule]) { state.withLock { $0.rules = rules } }

    /// Returns the current rules, whose `times` and `skip` are the remaining counts.
    func rules() -> [FaultRule] { state.withLock { $0.rules } }

    var rejectedRateLimitCount: Int { state.withLock { $0.rejectedRateLimit } }

    /// Returns false, and counts a rejection, when admitting one more API request now would
    /// exceed the rate limit over the last second.
    func admit(now: Double) -> Bool {
        guard let rateLimit else { return true }
        return state.withLock { state in
            state.admittedTimes.removeAll { $0 <= now - 1.0 }
            if state.admittedTimes.count >= rateLimit {
                state.rejectedRateLimit += 1
                return false
            }
            state.admittedTimes.append(now)
            return true
        }
    }

    /// Returns the fault for one API request and consumes the rule's counters.
    ///
    /// Rules are checked in order. A matching rule first lets `skip` requests pass, then
    /// applies `times` times. Random failures apply to create requests no rule caught.
    func fault(method: String, path: String, isCreate: Bool) -> FaultRule? {
        state.withLock { state in
            for index in state.rules.indices
            where state.rules[index].matches(method: method, path: path) {
                if state.rules[index].skip > 0 {
                    state.rules[index].skip -= 1
                    continue
                }
                if state.rules[index].times == 0 { continue }
                if state.rules[index].times > 0 { state.rules[index].times -= 1 }
                return state.rules[index]
            }
            guard isCreate, randomFailureProbability > 0 else { return nil }
            guard state.random.nextUnit() < randomFailureProbability else { return nil }
            let choices: [FaultAction] = [.respond, .closeBeforeResponse, .acceptThenDrop]
            var rule = FaultRule(action: choices[Int(state.random.next() % 3)], status: 503)
            rule.retryAfter = "1"
            return rule
        }
    }
}

/// SplitMix64, a small seeded generator, so a seed reproduces the same failure sequence.
struct SplitMix64: Sendable {
    private var value: UInt64

    init(seed: UInt64) { value = seed }

    mutating func next() -> UInt64 {
        value &+= 0x9E37_79B9_7F4A_7C15
        var mixed = value
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// A value in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
