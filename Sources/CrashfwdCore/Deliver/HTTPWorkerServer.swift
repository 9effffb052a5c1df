import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// The child side of `HTTPWorker`: `crashfwd http-worker` sends each request it reads from
/// the socket with an `HTTPClient` and writes back the response.
public enum HTTPWorkerServer {
    /// Seconds between two progress frames of an upload.
    static let progressInterval = 0.25

    /// Serves requests until the daemon closes the socket; returns the exit status.
    public static func run(socket: Int32, parent: pid_t) -> Int32 {
        // Set before checking the parent, so a parent that died in between is caught.
        if crashfwd_kill_with_parent() != 0 || getppid() != parent {
            Log.error("http-worker: the crashfwd process that started it is gone")
            return 1
        }
        // Requests carry the API key, which must not reach a core dump.
        _ = crashfwd_disable_core_dumps()
        // systemd's stop and a terminal's Ctrl-C signal every process of the service or
        // the process group. The daemon lets the request in flight finish before it exits,
        // so the worker ends only when the daemon closes the socket or dies.
        for stopSignal in [SIGTERM, SIGINT, SIGHUP] { signal(stopSignal, SIG_IGN) }
        let clients = HTTPClientPool()
        while true {
            let frame: WorkerFrame
            do {
                guard let next = try WorkerFrame.read(from: socket) else { return 0 }
                frame = next
            } catch {
                Log.error("http-worker: cannot read a request", ["ERROR": "\(error)"])
                return 1
            }
            // An abort that arrives after its upload ended has nothing left to stop.
            guard frame.kind == .request else { continue }
            let reply: WorkerFrame
            do {
                let request = try WorkerRequest(decoding: frame.payload)
                let response = try perform(request, socket: socket, clients: clients)
                reply = WorkerFrame(kind: .response, payload: response.encoded())
            } catch let error as TransportError {
                reply = failure(code: error.code, message: error.message)
            } catch {
                reply = failure(code: -1, message: "\(error)")
            }
            do {
                try reply.write(to: socket)
            } catch {
                Log.error("http-worker: cannot send a response", ["ERROR": "\(error)"])
                return 1
            }
        }
    }

    private static func failure(code: Int, message: String) -> WorkerFrame {
        var writer = WorkerPayloadWriter()
        writer.integer(code)
        writer.string(message)
        return WorkerFrame(kind: .failure, payload: writer.bytes)
    }

    private static func perform(
        _ request: WorkerRequest, socket: Int32, clients: HTTPClientPool
    ) throws -> HTTPResponse {
        let client = try clients.client(for: request.handleKey, options: request.options)
        switch request.body {
        case .json(let body):
            return try client.postJSON(url: request.url, body: body)
        case .file(let upload):
            let relay = ProgressForwarder(socket: socket)
            return try client.postFile(
                url: request.url, partName: upload.partName, filePath: upload.filePath,
                fileName: upload.fileName, contentType: upload.contentType,
                maximumSpeed: upload.maximumSpeed, stallTimeout: upload.stallTimeout,
                progress: relay.forward)
        }
    }
}

/// Sends an upload's progress to the daemon and watches the socket for an abort.
final class ProgressForwarder {
    private let socket: Int32
    private var lastSent = 0.0
    private var aborted = false

    init(socket: Int32) { self.socket = socket }

    /// Receives libcurl's progress; returns true to abort the transfer.
    func forward(sent: UInt64, total: UInt64) -> Bool {
        let now = Clock.monotonic()
        if now - lastSent >= HTTPWorkerServer.progressInterval {
            lastSent = now
            var writer = WorkerPayloadWriter()
            writer.integer(sent)
            writer.integer(total)
            if (try? WorkerFrame(kind: .progress, payload: writer.bytes).write(to: socket)) == nil {
                aborted = true
            }
        }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        while !aborted && poll(&descriptor, 1, 0) > 0 {
            // Only aborts arrive during an upload. A closed socket means the daemon is gone.
            let frame = try? WorkerFrame.read(from: socket)
            if frame == nil || frame?.kind == .abort { aborted = true }
        }
        return aborted
    }
}
