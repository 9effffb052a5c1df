import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Posts queued reports to Centercode and records each outcome in the queue.
///
/// `run()` waits a random start-up delay, then runs `max_in_flight` delivery threads until
/// `stop()`. Each thread claims one due report at a time, so no report is sent twice at
/// once, and owns its HTTP clients. Pauses, claims, the rate limit and states that could
/// not be written are shared under one lock.
public final class Deliverer: Sendable {
    let queue: ReportQueue
    let destinations: [String: DestinationConfig]
    let settings: DeliveryConfig
    let policy: RetryPolicy
    let statistics: Statistics
    /// The crashfwd executable that runs `http-worker` for each delivery thread, or nil to
    /// send from this process.
    let httpWorker: String?
    let shared: Mutex<DeliveryState>
    private let signal: WakeSignal
    private let requestWatch: Int32
    private let stopping = Atomic<Bool>(false)
    static let longestPause = 3600.0
    private static let startupDelayDone = Atomic<Bool>(false)
    /// Seconds between attempts to write report states after a write failed.
    static let writeRetryInterval = 5.0
    /// Seconds between two checks of the age limits when nothing else wakes the thread.
    static let limitCheckInterval = 60.0

    public init(
        queue: ReportQueue, destinations: [String: DestinationConfig], settings: DeliveryConfig,
        statistics: Statistics, httpWorker: String? = nil
    ) throws {
        self.queue = queue
        self.httpWorker = httpWorker
        self.destinations = destinations
        self.settings = settings
        self.policy = RetryPolicy(
            initialBackoff: settings.initialBackoff, maximumBackoff: settings.maximumBackoff)
        self.statistics = statistics
        self.shared = Mutex(DeliveryState(rateLimit: settings.rateLimit, now: Clock.monotonic()))
        self.signal = try WakeSignal()
        requestWatch = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if requestWatch >= 0 {
            _ = inotify_add_watch(
                requestWatch, queue.requestsDirectory, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE))
        }
    }

    deinit { if requestWatch >= 0 { close(requestWatch) } }

    public func wake() { signal.signal() }

    /// Stops every delivery thread; the latched signal wakes all of them, not only one.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        signal.latch()
    }

    var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    /// Delivers until `stop()`; returns after every delivery thread has finished.
    public func run() {
        recoverInterruptedAttempts()
        enforceLimits()
        waitForStartupDelay()
        var threads: [WorkerThread] = []
        for _ in 1..<max(1, settings.maximumInFlight) {
            do {
                threads.append(try WorkerThread { [self] in work() })
            } catch {
                Log.error(
                    "cannot start a delivery thread; continuing with fewer", ["ERROR": "\(error)"])
            }
        }
        work()
        for thread in threads { thread.join() }
    }

    /// Runs one delivery thread's loop until `stop()`.
    func work() {
        let clients = ClientCache(
            workerExecutable: settings.httpWorkerIdleTimeout > 0 ? httpWorker : nil,
            idleSeconds: settings.httpWorkerIdleTimeout)
        defer { clients.stopWorker() }
        while !isStopping {
            let next = deliverDue(now: Clock.now(), clients: clients)
            if isStopping { break }
            var seconds = next.map { max(0, $0 - Clock.now()) }
            if let stop = clients.stopIdleWorker() { seconds = min(seconds ?? stop, stop) }
            wait(seconds: seconds)
        }
    }

    /// Waits until a random moment within `startup_delay` after boot, so devices that boot
    /// together spread their first requests. Ends early only on `stop()`. Runs once per
    /// process, and a daemon started later than `startup_delay` after boot does not wait.
    func waitForStartupDelay() {
        guard settings.startupDelay > 0,
            !Deliverer.startupDelayDone.exchange(true, ordering: .sequentiallyConsistent)
        else { return }
        var boottime = timespec()
        clock_gettime(CLOCK_BOOTTIME, &boottime)
        let uptime = Double(boottime.tv_sec) + Double(boottime.tv_nsec) / 1e9
        let delay = Deliverer.startupWait(
            maximum: settings.startupDelay, uptime: uptime, fraction: Double.random(in: 0...1))
        guard delay > 0 else { return }
        Log.info("waiting before the first delivery after boot", ["DELAY_SECONDS": format2(delay)])
        let deadline = Clock.monotonic() + delay
        while !isStopping && Clock.monotonic() < deadline {
            signal.wait(timeout: deadline - Clock.monotonic())
        }
    }

    /// Returns the seconds left until `fraction` of `maximum` has passed since boot.
    static func startupWait(maximum: Double, uptime: Double, fraction: Double) -> Double {
        max(0, maximum * fraction - uptime)
    }

    /// Sleeps until `seconds` pass (nil: no limit), `wake()`, `stop()` or a queue request.
    func wait(seconds: Double?) {
        var descriptors = [pollfd(fd: signal.descriptor, events: Int16(POLLIN), revents: 0)]
        if requestWatch >= 0 {
            descriptors.append(pollfd(fd: requestWatch, events: Int16(POLLIN), revents: 0))
        }
        let timeout = min(seconds ?? Deliverer.limitCheckInterval, Deliverer.limitCheckInterval)
        _ = poll(&descriptors, nfds_t(descriptors.count), Int32((timeout * 1000).rounded(.up)))
        signal.drain()
        drainRequestWatch()
    }

    private func drainRequestWatch() {
        guard requestWatch >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(requestWatch, &buffer, buffer.count) > 0 {}
    }

    /// Applies queue requests, writes states kept in memory, then attempts every due report once.
    /// Returns the Unix time when the next report is due.
    @discardableResult
    func deliverDue(now: Double, clients: ClientCache) -> Double? {
        applyRequests(now: now)
        enforceLimitsIfDue()
        guard writeHeldStates() else { return Clock.now() + Deliverer.writeRetryInterval }
        for id in queue.due(now: now) {
            if isStopping { break }
            guard claim(id) else { continue }
            defer { release(id) }
            guard var report = try? queue.load(id), report.isPending else { continue }
            guard reserveSend(to: report.destination) else { continue }
            guard waitForRateLimit() else { break }
            attempt(&report, clients: clients)
            if shared.withLock({ $0.writeFailedAt != nil }) { break }
        }
        return nextWake()
    }

    /// Marks a report as being delivered by this thread; false when another has it.
    func claim(_ id: String) -> Bool {
        shared.withLock { state in
            guard !state.claimed.contains(id), state.unwritten[id] == nil else { return false }
            state.claimed.insert(id)
            return true
        }
    }

    func release(_ id: String) { _ = shared.withLock { $0.claimed.remove(id) } }

    /// Takes a send slot for one request to `destination`; false while the destination is
    /// paused or, after an overload response, paced (see `OverloadPacing`).
    func reserveSend(to destination: String) -> Bool {
        let now = Clock.now()
        return shared.withLock { state in
            if let pause = state.paused[destination], pause.until > now { return false }
            return state.pacing[destination]?.reserve(now: now) ?? true
        }
    }

    /// Waits for a rate-limit token; false when `stop()` came first.
    func waitForRateLimit() -> Bool {
        let delay = shared.withLock { $0.bucket.reserve(now: Clock.monotonic()) }
        let deadline = Clock.monotonic() + delay
        while !isStopping && Clock.monotonic() < deadline {
            signal.wait(timeout: deadline - Clock.monotonic())
        }
        return !isStopping
    }

    /// Returns the earliest due time of a report that no thread has claimed, counting
    /// a paused or paced destination's reports from its next allowed request. Stops pacing
    /// destinations that have no pending report left, as TCP restarts slow start after an
    /// idle period, so the next crash goes out at once.
    func nextWake() -> Double? {
        let (claimed, notBefore, paced) = shared.withLock { state in
            var notBefore = state.paused.mapValues(\.until)
            for (name, pacing) in state.pacing {
                notBefore[name] = max(notBefore[name] ?? 0, pacing.nextSendAt)
            }
            return (state.claimed, notBefore, Set(state.pacing.keys))
        }
        if !paced.isEmpty {
            let pending = queue.pendingDestinations()
            let idle = paced.subtracting(pending)
            if !idle.isEmpty {
                shared.withLock { state in
                    for name in idle { state.pacing[name] = nil }
                }
                for name in idle { statistics.destinationPaced(name, rate: nil) }
            }
        }
        return queue.earliestAttempt(skipping: claimed, notBefore: notBefore)
    }

    /// Destinations currently paused, with the Unix time of their next check.
    public var pausedDestinations: [String: Double] {
        shared.withLock { $0.paused.mapValues(\.until) }
    }

    /// Ids of reports with a request in flight.
    public var claimedIDs: Set<String> { shared.withLock { $0.claimed } }
}

/// Delivery state shared by the delivery threads.
struct DeliveryState: Sendable {
    struct Pause: Sendable {
        var until: Double
        var length: Double
    }

    /// Reports some thread is delivering.
    var claimed: Set<String> = []
    /// Destinations paused after a 401, 403 or 404.
    var paused: [String: Pause] = [:]
    /// Destinations that responded with 429, or a retryable status with `Retry-After`, and have
    /// not yet recovered their full rate. Pacing every report of the destination, and not
    /// only delaying the one that got the response, lets a fleet back off together instead of
    /// each device going on at its own rate limit.
    var pacing: [String: OverloadPacing] = [:]
    /// Report states that could not be written, by id. Each is written before anything
    /// else happens to its report, so a created ticket is never sent again.
    var unwritten: [String: Report] = [:]
    /// Monotonic time of the last failed write; attempts wait until writes work again.
    var writeFailedAt: Double?
    var limitsCheckedAt: Double = 0
    var bucket: TokenBucket

    init(rateLimit: Double, now: Double) {
        bucket = TokenBucket(rate: rateLimit, now: now)
    }
}

/// The HTTP clients of one delivery thread, one per destination. With a worker executable
/// they send through one `HTTPWorker`; without, they run libcurl in this process.
final class ClientCache {
    private let clients = HTTPClientPool()
    private let worker: HTTPWorker?

    init(workerExecutable: String?, idleSeconds: Double) {
        worker = workerExecutable.map { HTTPWorker(executable: $0, idleSeconds: idleSeconds) }
    }

    func client(for destination: DestinationConfig) throws -> any HTTPTransport {
        let options = TransportOptions(destination: destination)
        if let worker {
            return WorkerHTTPClient(worker: worker, handleKey: destination.name, options: options)
        }
        return try clients.client(for: destination.name, options: options)
    }

    /// Stops the worker when it has been idle long enough. Returns the seconds until a
    /// worker that still runs will be, or nil when none runs.
    func stopIdleWorker() -> Double? { worker?.stopIfIdle(now: Clock.monotonic()) }

    func stopWorker() { worker?.stop() }
}
