import CLinux
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A POSIX thread running one closure, for the blocking delivery loop.
public final class WorkerThread: Sendable {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let thread: pthread_t

    public init(_ body: @escaping @Sendable () -> Void) throws {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
                box.body()
                return nil
            }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError("pthread_create", code: result)
        }
        self.thread = thread
    }

    /// Waits for the closure to return.
    public func join() { pthread_join(thread, nil) }
}

/// An eventfd used to wake a thread that sleeps in poll(2).
public final class WakeSignal: Sendable {
    public let descriptor: Int32
    private let latched = Atomic<Bool>(false)

    public init() throws {
        descriptor = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        if descriptor < 0 { throw SystemError("eventfd") }
    }

    deinit { close(descriptor) }

    public func signal() {
        var one: UInt64 = 1
        _ = write(descriptor, &one, 8)
    }

    /// Signals for good: `drain()` no longer clears the signal, so every thread that waits
    /// on it wakes, now and later, and not only the first one to read it.
    public func latch() {
        latched.store(true, ordering: .sequentiallyConsistent)
        signal()
    }

    /// Clears pending signals after poll reported the descriptor readable, unless latched.
    public func drain() {
        guard !latched.load(ordering: .sequentiallyConsistent) else { return }
        var value: UInt64 = 0
        _ = read(descriptor, &value, 8)
    }

    /// Sleeps until signalled or until `timeout` seconds pass (nil waits without limit).
    public func wait(timeout: Double?) {
        var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        let milliseconds =
            timeout.map { Int32(min(max($0 * 1000, 0), 86_400_000).rounded(.up)) } ?? -1
        _ = poll(&descriptors, 1, milliseconds)
        drain()
    }
}

/// Wall-clock and monotonic time in seconds.
public enum Clock {
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    public static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    public static func microseconds() -> UInt64 { UInt64(now() * 1_000_000) }
}
