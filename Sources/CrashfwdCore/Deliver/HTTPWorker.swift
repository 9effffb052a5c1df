import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// Something that sends crashfwd's two kinds of request: an `HTTPClient` in this process,
/// or a `WorkerHTTPClient` that has the HTTP worker send them.
public protocol HTTPTransport {
    func postJSON(url: String, body: [UInt8]) throws -> HTTPResponse

    func postFile(
        url: String, partName: String, filePath: String, fileName: String, contentType: String,
        maximumSpeed: UInt64, stallTimeout: Double, progress: @escaping (UInt64, UInt64) -> Bool
    ) throws -> HTTPResponse
}

extension HTTPClient: HTTPTransport {}

/// A child process, `crashfwd http-worker`, that sends the requests of one delivery thread.
///
/// libcurl and the libraries it loads take about 4 MB of resident memory. A child process
/// that exits after `idleSeconds` without a request returns that memory once a burst of
/// crashes has been delivered, instead of keeping it for the life of the daemon. The child is started on the first request, and again after
/// it exits or fails. The kernel kills it when the delivery thread that started it ends,
/// so a daemon killed with SIGKILL does not leave a request running.
///
/// Not thread-safe: each delivery thread owns its worker.
final class HTTPWorker {
    private let executable: String
    /// Seconds without a request after which the child is stopped.
    private let idleSeconds: Double
    private var process: pid_t = 0
    private var socket: Int32 = -1
    private var lastUsed = 0.0

    /// `executable` is the crashfwd binary; `/proc/self/exe` names the one running (see
    /// `resolvedExecutable`).
    init(executable: String, idleSeconds: Double) {
        self.executable = executable
        self.idleSeconds = idleSeconds
    }

    deinit { stop() }

    var isRunning: Bool { socket >= 0 }

    /// Stops the child when it has been idle for `idleSeconds`. Returns the seconds until
    /// a child that still runs will have been, or nil when none runs.
    func stopIfIdle(now: Double) -> Double? {
        guard isRunning else { return nil }
        let left = lastUsed + idleSeconds - now
        guard left <= 0 else { return left }
        stop()
        return nil
    }

    /// Sends one request and returns the response, whatever its status. `progress` receives
    /// an upload's bytes sent and total, and returning true from it aborts the upload.
    func send(_ request: WorkerRequest, progress: ((UInt64, UInt64) -> Bool)? = nil) throws
        -> HTTPResponse
    {
        let redactedURL = Redactor.shared.redact(request.url)
        do {
            try startIfStopped()
            defer { lastUsed = Clock.monotonic() }
            try setReceiveTimeout(HTTPWorker.answerDeadline(for: request))
            try WorkerFrame(kind: .request, payload: request.encoded()).write(to: socket)
            var aborted = false
            while true {
                guard let frame = try WorkerFrame.read(from: socket) else {
                    throw WorkerProtocolError(description: "the HTTP worker closed its socket")
                }
                switch frame.kind {
                case .progress:
                    var reader = WorkerPayloadReader(frame.payload)
                    let sent = try reader.unsignedInteger()
                    let total = try reader.unsignedInteger()
                    if progress?(sent, total) == true && !aborted {
                        aborted = true
                        try WorkerFrame(kind: .abort, payload: []).write(to: socket)
                    }
                case .response:
                    return try HTTPResponse(decoding: frame.payload)
                case .failure:
                    var reader = WorkerPayloadReader(frame.payload)
                    let code = try reader.integer()
                    let message = try reader.string()
                    throw TransportError(
                        code: code, message: Redactor.shared.redact(message), url: redactedURL)
                case .request, .abort:
                    throw WorkerProtocolError(
                        description: "the HTTP worker sent an unexpected frame \(frame.kind)")
                }
            }
        } catch let error as TransportError {
            throw error
        } catch {
            let ending = kill()
            Log.warning(
                "HTTP worker failed; a new one starts with the next request",
                ["ERROR": "\(error)", "EXIT": ending])
            throw TransportError(
                code: -1, message: "the HTTP worker failed (\(error); \(ending))",
                url: redactedURL)
        }
    }

    /// Returns the seconds the worker may go without sending a frame before it is taken to
    /// hang. libcurl ends a JSON post after the request timeout, so the margin only covers
    /// starting the worker. During an upload libcurl calls the progress function about once
    /// a second even while nothing moves, and the worker forwards it, so a silence of more
    /// than a few seconds past the connect timeout means the worker has stopped.
    static func answerDeadline(for request: WorkerRequest) -> Double {
        switch request.body {
        case .json: return request.options.timeout + 5
        case .file: return request.options.connectTimeout + 10
        }
    }

    private func setReceiveTimeout(_ seconds: Double) throws {
        // The config caps request timeouts at one hour; the clamp keeps the conversion safe.
        let bounded = min(max(seconds, 0.001), 86400)
        var timeout = timeval(
            tv_sec: Int(bounded), tv_usec: Int((bounded - bounded.rounded(.down)) * 1e6))
        let size = socklen_t(MemoryLayout<timeval>.size)
        guard setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, size) == 0 else {
            throw WorkerProtocolError(
                description:
                    "cannot set the HTTP worker socket timeout: \(SystemError("setsockopt"))")
        }
    }

    /// Closes the socket, which makes the child exit, and waits for it. A child that has
    /// not exited within a second is killed.
    func stop() {
        guard isRunning else { return }
        closeSocket()
        for _ in 0..<100 {
            var status: Int32 = 0
            let result = waitpid(process, &status, WNOHANG)
            if result == process || (result < 0 && errno != EINTR) {
                Log.debug("HTTP worker stopped", ["PID": "\(process)"])
                return
            }
            usleep(10_000)
        }
        Glibc.kill(process, SIGKILL)
        _ = waitForExit()
    }

    private func startIfStopped() throws {
        reapIfExited()
        guard !isRunning else { return }

        var pair: [Int32] = [-1, -1]
        guard
            socketpair(
                AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0
        else {
            throw WorkerProtocolError(
                description: "cannot create the HTTP worker socket: \(SystemError("socketpair"))")
        }
        let arguments = [
            "crashfwd", "http-worker", "--socket-fd", "3", "--parent-pid", "\(getpid())",
        ]
        var argumentPointers = arguments.map { strdup($0) } + [nil]
        var environmentPointers = HTTPWorker.environment().map { strdup($0) } + [nil]
        defer {
            for pointer in argumentPointers + environmentPointers { free(pointer) }
        }
        var child: pid_t = 0
        let path = resolvedExecutable()
        let result = crashfwd_spawn_with_socket(
            &child, path, &argumentPointers, &environmentPointers, pair[1])
        close(pair[1])
        guard result == 0 else {
            close(pair[0])
            throw WorkerProtocolError(
                description:
                    "cannot start '\(path) http-worker': \(String(cString: strerror(result)))"
            )
        }
        process = child
        socket = pair[0]
        Log.debug("HTTP worker started", ["PID": "\(child)"])
    }

    /// Returns the file to run for `/proc/self/exe`: the path of the running binary while
    /// that file is in place. Once a package upgrade has deleted or replaced the file, it is
    /// `/proc/self/exe` itself, which still runs the binary of this process. The path is
    /// preferred because under valgrind the link would run valgrind's tool binary.
    func resolvedExecutable() -> String {
        guard executable == "/proc/self/exe", let path = FileIO.linkTarget(executable),
            !path.hasSuffix(" (deleted)")
        else { return executable }
        return path
    }

    /// Returns this process's environment without the variables that hold an API key
    /// (`api_key_env`), which the worker does not need: the key comes with each URL.
    static func environment() -> [String] {
        var variables: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let variable = String(cString: pointer)
            if Redactor.shared.redact(variable) == variable { variables.append(variable) }
            entry += 1
        }
        return variables
    }

    /// Forgets a child that exited while idle (killed, or out of memory), so that the next
    /// request starts a new one instead of failing on the closed socket.
    private func reapIfExited() {
        guard isRunning else { return }
        var status: Int32 = 0
        guard waitpid(process, &status, WNOHANG) == process else { return }
        closeSocket()
        Log.warning(
            "HTTP worker exited while idle; starting a new one",
            ["PID": "\(process)", "EXIT": HTTPWorker.describe(status)])
    }

    /// Closes the daemon's end of the socket, which marks the child as stopped.
    private func closeSocket() {
        close(socket)
        socket = -1
    }

    /// Kills the child after a failure and returns how it ended.
    private func kill() -> String {
        guard isRunning else { return "not running" }
        closeSocket()
        Glibc.kill(process, SIGKILL)
        return waitForExit()
    }

    private func waitForExit() -> String {
        var status: Int32 = 0
        while waitpid(process, &status, 0) < 0 {
            if errno != EINTR { return "exit status unknown: \(SystemError("waitpid"))" }
        }
        return HTTPWorker.describe(status)
    }

    /// Describes a `waitpid` status: an exit status or the signal that ended the process.
    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        return signal == 0
            ? "exited with status \((status >> 8) & 0xff)" : "killed by signal \(signal)"
    }
}

/// Sends one destination's requests through the delivery thread's HTTP worker.
struct WorkerHTTPClient: HTTPTransport {
    let worker: HTTPWorker
    let handleKey: String
    let options: TransportOptions

    func postJSON(url: String, body: [UInt8]) throws -> HTTPResponse {
        try worker.send(
            WorkerRequest(handleKey: handleKey, options: options, url: url, body: .json(body)))
    }

    func postFile(
        url: String, partName: String, filePath: String, fileName: String, contentType: String,
        maximumSpeed: UInt64, stallTimeout: Double, progress: @escaping (UInt64, UInt64) -> Bool
    ) throws -> HTTPResponse {
        let upload = WorkerRequest.FileUpload(
            partName: partName, filePath: filePath, fileName: fileName, contentType: contentType,
            maximumSpeed: maximumSpeed, stallTimeout: stallTimeout)
        return try worker.send(
            WorkerRequest(handleKey: handleKey, options: options, url: url, body: .file(upload)),
            progress: progress)
    }
}
