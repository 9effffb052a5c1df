#if canImport(Glibc)
    import Glibc
#endif

/// A change to the queue asked for by `crashfwd queue retry` or `drop`.
///
/// Without a running daemon the command applies it directly. While a daemon holds the
/// state lock, the command writes it to `STATE/requests/` instead, and the daemon's
/// delivery thread applies it, so the daemon's view of the queue stays true.
public struct QueueRequest: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case retry
        case retryDead = "retry-dead"
        case drop
    }

    public var action: Action
    public var id: String?

    public init(action: Action, id: String? = nil) {
        self.action = action
        self.id = id
    }
}

/// A failed queue request, with a message for the operator.
public struct QueueRequestError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

extension ReportQueue {
    public var requestsDirectory: String { "\(directory)/requests" }

    /// Applies a request and returns the reports it changed or removed.
    public func apply(_ request: QueueRequest, now: Double) throws -> [Report] {
        switch request.action {
        case .retryDead:
            let dead = entries { $0.state == .dead }.map(\.id).sorted()
            return try dead.map { try retry($0, now: now) }
        case .retry, .drop:
            guard let id = request.id, contains(id) else {
                throw QueueRequestError(description: "no report with ID '\(request.id ?? "")'")
            }
            if request.action == .retry { return [try retry(id, now: now)] }
            let report = try load(id)
            try remove(id)
            return [report]
        }
    }

    /// Puts a dead or waiting report back in line for an attempt at `now`.
    func retry(_ id: String, now: Double) throws -> Report {
        var report = try load(id)
        guard report.state != .done else {
            throw QueueRequestError(
                description:
                    "report \(id) is already done (feedback id \(report.feedbackID ?? "-"))")
        }
        if report.state == .dead { report.state = report.feedbackID == nil ? .queued : .created }
        report.nextAttemptAt = now
        report.attempts = 0
        report.updatedAt = now
        try save(report)
        return report
    }

    /// Writes a request for the running daemon and returns the file's path.
    public func submit(_ request: QueueRequest) throws -> String {
        try FileIO.makeDirectory(requestsDirectory)
        let name = "\(Clock.microseconds())-\(getpid()).json"
        let path = "\(requestsDirectory)/\(name)"
        try DurableFile.write(try JSONCoding.encode(request), to: path, mode: 0o600)
        return path
    }

    /// Reads and deletes the requests waiting in `STATE/requests/`, oldest first. A file
    /// that cannot be decoded is deleted and returned as a failure.
    public func takeRequests() -> [Result<QueueRequest, QueueRequestError>] {
        guard let names = try? FileIO.listDirectory(requestsDirectory) else { return [] }
        var requests: [Result<QueueRequest, QueueRequestError>] = []
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let path = "\(requestsDirectory)/\(name)"
            do {
                guard let bytes = try FileIO.readFile(path) else { continue }
                requests.append(.success(try JSONCoding.decode(QueueRequest.self, from: bytes)))
            } catch {
                requests.append(
                    .failure(QueueRequestError(description: "invalid request \(path): \(error)")))
            }
            try? DurableFile.remove(path)
        }
        return requests
    }
}

/// An exclusive lock on a state directory (`STATE/crashfwd.lock`, flock(2)), held by the
/// running daemon for its lifetime. The kernel releases it when the process dies, even by
/// SIGKILL.
public final class StateLock: Sendable {
    let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Takes the lock, retrying for up to `waitSeconds` while another process has it
    /// (`crashfwd queue retry` holds it for a moment). Returns nil if it stays taken.
    public static func acquire(stateDirectory: String, waitSeconds: Double = 0) throws
        -> StateLock?
    {
        let path = "\(stateDirectory)/crashfwd.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor < 0 { throw SystemError("open", path: path) }
        let deadline = Clock.monotonic() + waitSeconds
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EWOULDBLOCK && Clock.monotonic() < deadline {
                usleep(50_000)
                continue
            }
            close(descriptor)
            if code == EWOULDBLOCK { return nil }
            throw SystemError("flock", path: path, code: code)
        }
        return StateLock(descriptor: descriptor)
    }
}
