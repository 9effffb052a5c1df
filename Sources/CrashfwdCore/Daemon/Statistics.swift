import Synchronization

/// Counters the daemon exposes in its status and metrics.
public final class Statistics: Sendable {
    public struct Snapshot: Sendable, Codable {
        public var crashesDetected = 0
        public var ticketsCreated = 0
        public var duplicatesSkipped = 0
        public var deliveryFailures: [String: Int] = [:]
        public var lastDelivery: Double?
        public var lastError: String?
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    public func crashDetected() { state.withLock { $0.crashesDetected += 1 } }
    public func duplicateSkipped() { state.withLock { $0.duplicatesSkipped += 1 } }

    public func ticketCreated() {
        state.withLock {
            $0.ticketsCreated += 1
            $0.lastDelivery = Clock.now()
        }
    }

    public func deliveryFailed(reason: String) {
        state.withLock {
            $0.deliveryFailures[reason, default: 0] += 1
            $0.lastError = reason
        }
    }
}

/// Journal `MESSAGE_ID`s of the events operators filter for (`journalctl MESSAGE_ID=...`).
public enum MessageID {
    public static let started = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c01"
    public static let stopped = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c02"
    public static let crashDetected = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c03"
    public static let ticketCreated = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c04"
    public static let deliveryRetry = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c05"
    public static let reportDead = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c06"
    public static let destinationPaused = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c07"
    public static let configRejected = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c08"
}
