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
        /// Create requests interrupted by a crash; each may have made a duplicate ticket.
        public var possibleDuplicates = 0
        /// Reports dropped by the queue limits, by limit.
        public var reportsEvicted: [String: Int] = [:]
        /// Reports lost because the in-memory buffer for unwritable reports was full.
        public var unsavedDropped = 0
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

    public func possibleDuplicate() { state.withLock { $0.possibleDuplicates += 1 } }
    public func unsavedDropped() { state.withLock { $0.unsavedDropped += 1 } }

    public func reportEvicted(reason: String) {
        state.withLock { $0.reportsEvicted[reason, default: 0] += 1 }
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
    public static let possibleDuplicate = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c09"
    public static let reportEvicted = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c0a"
}
