import Foundation
import Testing

@testable import CrashfwdCore

/// `HTTPWorker` against fake workers, shell scripts that hang, exit or send garbage:
/// each failure becomes a `TransportError` and the child is gone afterwards.
@Suite final class HTTPWorkerFailureTests {
    let directory: String

    init() throws {
        var template = Array("/tmp/crashfwd-worker-unit-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.map { mkdtemp($0) != nil } ?? false
        }
        try #require(created)
        directory = String(cString: template)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes an executable shell script that replaces `crashfwd http-worker`.
    func worker(_ body: String) throws -> String {
        let path = "\(directory)/worker"
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    /// A JSON request that times out after `deadline` seconds without a frame.
    func request(deadline: Double = 5) -> WorkerRequest {
        var options = TransportOptions()
        options.timeout = deadline - 30
        return WorkerRequest(
            handleKey: "beta", options: options, url: "http://127.0.0.1:9/?apiKey=secret-key",
            body: .json([]))
    }

    func failure(_ worker: HTTPWorker, deadline: Double = 5) -> TransportError? {
        do {
            _ = try worker.send(request(deadline: deadline))
            return nil
        } catch {
            return error as? TransportError
        }
    }

    @Test func exitedWorkerReported() throws {
        let worker = HTTPWorker(executable: try worker("exit 3"), idleSeconds: 30)
        let error = try #require(failure(worker))
        #expect(error.message.contains("exited with status 3"))
        #expect(!worker.isRunning)
    }

    @Test func hungWorkerTimesOut() throws {
        let worker = HTTPWorker(executable: try worker("exec sleep 30"), idleSeconds: 30)
        let error = try #require(failure(worker, deadline: 0.3))
        #expect(error.message.contains("timed out waiting for the HTTP worker"))
        #expect(error.message.contains("killed by signal 9"))
        #expect(!worker.isRunning)
    }

    @Test func garbageAnswerKillsWorker() throws {
        // A frame kind byte that does not exist, then silence.
        let worker = HTTPWorker(
            executable: try worker("printf 'Z\\000\\000\\000\\000' >&3; exec sleep 30"),
            idleSeconds: 30)
        let error = try #require(failure(worker))
        #expect(error.message.contains("unknown HTTP worker frame kind 90"))
        #expect(!worker.isRunning)
    }

    @Test func failureRedactsKey() throws {
        let worker = HTTPWorker(executable: try worker("exit 1"), idleSeconds: 30)
        let error = try #require(failure(worker))
        #expect(!error.url.contains("secret-key"))
        #expect(error.url.contains("apiKey=***"))
    }

    @Test func missingExecutableReported() throws {
        let worker = HTTPWorker(executable: "\(directory)/missing", idleSeconds: 30)
        let error = try #require(failure(worker))
        #expect(error.message.contains("cannot start"))
        #expect(!worker.isRunning)
    }
}

@Suite struct HTTPWorkerExecutableTests {
    @Test func runningBinaryResolvedToItsPath() throws {
        let worker = HTTPWorker(executable: "/proc/self/exe", idleSeconds: 30)
        let expected = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(worker.resolvedExecutable() == expected)
    }

    @Test func otherPathKept() {
        let worker = HTTPWorker(executable: "/usr/sbin/crashfwd", idleSeconds: 30)
        #expect(worker.resolvedExecutable() == "/usr/sbin/crashfwd")
    }
}
