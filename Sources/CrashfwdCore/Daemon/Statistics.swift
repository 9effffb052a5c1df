import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Counters the daemon exposes in its status and metrics.
///
/// Every change also writes to an eventfd (`changeDescriptor`), so the daemon's poll loop
/// wakes and publishes the new values even when the change came from the delivery thread.
public final class Statistics: Sendable {
    public struct Snapshot: Sendable, Codable, Equatable {
        public var crashesDetected = 0
        public var ticketsCreated = 0
        public var duplicatesSkipped = 0
        /// Crashes counted as repeats of a crash loop, or over the hourly ticket budget.
        public var crashesFolded = 0
        public var deliveryFailures: [String: Int] = [:]
        /// Unix seconds of the last ticket created.
        public var lastDelivery: Double?
        public var lastError: String?
        /// Create requests interrupted by a crash; each may have made a duplicate ticket.
        public var possibleDuplicates = 0
        /// Reports dropped by the queue limits, by limit.
        public var reportsEvicted: [String: Int] = [:]
        /// Reports lost because the in-memory buffer for unwritable reports was full.
        public var unsavedDropped = 0
        /// Unix seconds of `lastError`.
        public var lastErrorAt: Double?
        /// Destinations paused after the server rejected their URL or key, with the Unix
        /// time of the next attempt.
        public var pausedDestinations: [String: Double] = [:]
        /// Destinations paced after an overload response (429 or `Retry-After`), with their
        /// current rate in requests per second.
        public var pacedDestinations: [String: Double] = [:]
        public var configReloads = 0
        public var configReloadFailures = 0
    }

    private let state = Mutex(Snapshot())
    /// An eventfd that becomes readable after any change, or -1 when it could not be
    /// created. poll(2) ignores -1, so status then follows the next source event instead.
    public let changeDescriptor: Int32

    public init() {
        changeDescriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
    }

    deinit { if changeDescriptor >= 0 { close(changeDescriptor) } }

    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Clears the change signal after poll(2) reported `changeDescriptor` readable.
    public func drainChanges() {
        guard changeDescriptor >= 0 else { return }
        var value: UInt64 = 0
        _ = read(changeDescriptor, &value, 8)
    }

    private func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { change(&$0) }
        guard changeDescriptor >= 0 else { return }
        var one: UInt64 = 1
        _ = write(changeDescriptor, &one, 8)
    }

    public func crashDetected() { update { $0.crashesDetected += 1 } }
    public func duplicateSkipped() { update { $0.duplicatesSkipped += 1 } }
    public func crashFolded() { update { $0.crashesFolded += 1 } }

    public func ticketCreated() {
        update {
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
        update {
            $0.deliveryFailures[reason, default: 0] += 1
            $0.lastError = reason
            $0.lastErrorAt = Clock.now()
        }
    }

    /// Records an error that is not a delivery failure, such as an unreadable source.
    public func errorOccurred(_ message: String) {
        update {
            $0.lastError = message
            $0.lastErrorAt = Clock.now()
        }
    }

    public func destinationPaused(_ name: String, until: Double) {
        update { $0.pausedDestinations[name] = until }
    }

    public func destinationResumed(_ name: String) {
        update { $0.pausedDestinations[name] = nil }
    }

    /// Records the rate of a paced destination, or nil when pacing ended.
    public func destinationPaced(_ name: String, rate: Double?) {
        update { $0.pacedDestinations[name] = rate }
    }

    public func configReloaded(succeeded: Bool) {
        update {
            if succeeded { $0.configReloads += 1 } else { $0.configReloadFailures += 1 }
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
    public static let configReloaded = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c09"
    public static let stopping = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c0a"
    public static let possibleDuplicate = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c0b"
    public static let reportEvicted = "b9d5a1f6a2f54c0e9c1d3e6f7a8b9c0c"
}
