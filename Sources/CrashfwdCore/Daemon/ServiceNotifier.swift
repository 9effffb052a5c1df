import CSystemd

/// Sends the service manager the sd_notify(3) messages of a `Type=notify` unit: `READY=1`,
/// `RELOADING=1`, `STOPPING=1`, `STATUS=` lines and watchdog pings.
///
/// Every message is a no-op when `NOTIFY_SOCKET` is unset, so the daemon behaves the same
/// outside systemd. The watchdog is on when `WATCHDOG_USEC` is set and `WATCHDOG_PID` is
/// unset or names this process. Pings then go out at half the interval, as
/// sd_watchdog_enabled(3) recommends.
final class ServiceNotifier {
    /// Seconds between two watchdog pings, or nil when the watchdog is off.
    let pingInterval: Double?
    /// Monotonic seconds at which the next ping is due.
    private(set) var nextPingAt: Double?
    private var lastStatus = ""

    init(now: Double) {
        var microseconds: UInt64 = 0
        if sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 {
            pingInterval = Double(microseconds) / 2_000_000
        } else {
            pingInterval = nil
        }
        nextPingAt = pingInterval.map { now + $0 }
    }

    func ready(status: String) {
        lastStatus = status
        send("READY=1\nSTATUS=\(status)")
    }

    func reloading() { send("RELOADING=1") }

    func stopping() { send("STOPPING=1\nSTATUS=Stopping") }

    /// Sends a `STATUS=` line unless it equals the last one sent.
    func status(_ text: String) {
        guard text != lastStatus else { return }
        lastStatus = text
        send("STATUS=\(text)")
    }

    /// Sends `WATCHDOG=1` when a ping is due, or at once with `force` before the loop
    /// blocks, and schedules the next one.
    func pingIfDue(now: Double, force: Bool = false) {
        guard let interval = pingInterval, let due = nextPingAt, force || now >= due else { return }
        send("WATCHDOG=1")
        nextPingAt = now + interval
    }

    private func send(_ message: String) {
        _ = sd_notify(0, message)
    }
}
