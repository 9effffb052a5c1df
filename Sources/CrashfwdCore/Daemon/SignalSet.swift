import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM, SIGINT and SIGHUP delivered through a signalfd, so the poll loop handles them
/// between steps instead of in an asynchronous handler.
final class SignalSet {
    let descriptor: Int32

    init() throws {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&mask, signal) }
        // Blocked before any thread starts, so every thread inherits the mask and the
        // signals stay queued for the signalfd.
        pthread_sigmask(SIG_BLOCK, &mask, nil)
        descriptor = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        if descriptor < 0 { throw SystemError("signalfd") }
    }

    deinit { close(descriptor) }

    /// Returns the signals received since the last call.
    func take() -> [Int32] {
        var signals: [Int32] = []
        var info = signalfd_siginfo()
        while Glibc.read(descriptor, &info, MemoryLayout<signalfd_siginfo>.size)
            == MemoryLayout<signalfd_siginfo>.size
        {
            signals.append(Int32(info.ssi_signo))
        }
        return signals
    }
}
