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

    /// Returns a JSON request that times out after `deadline` seconds without a frame.
    func request(deadline: Double = 5) -> WorkerRequest {
        var options = TransportOptions()
        options.timeout = deadline - 5
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

    @Test func workerThatExitedWhileIdleReplaced() throws {
        // The first worker replies to one request and exits; the second request must start a
        // new one instead of failing on the closed socket.
        let marker = "\(directory)/started-once"
        let response = HTTPResponse(status: 201, headers: [:], body: []).encoded()
        let length = UInt32(response.count).littleEndian
        let frame =
            [WorkerFrameKind.response.rawValue] + withUnsafeBytes(of: length) { Array($0) }
            + response
        let escaped = frame.map { String(format: "\\%03o", $0) }.joined()
        let script = """
            printf '\(escaped)' >&3
            if [ -e \(marker) ]; then exec sleep 30; fi
            touch \(marker)
            exit 0
            """
        let worker = HTTPWorker(executable: try worker(script), idleSeconds: 30)
        let first = try worker.send(request())
        #expect(first.status == 201)
        try waitForExit(of: worker)
        let second = try worker.send(request())
        #expect(second.status == 201)
        worker.stop()
    }

    /// Waits until the fake worker has run once and exited.
    private func waitForExit(of worker: HTTPWorker) throws {
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: "\(directory)/started-once") {
                usleep(200_000)
                return
            }
            usleep(10_000)
        }
        Issue.record("the fake worker did not run")
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

@Suite struct HTTPTimeoutTests {
    @Test func configTimeoutsConvertExactly() {
        #expect(HTTPClient.milliseconds(30) == 30_000)
        #expect(HTTPClient.milliseconds(0.25) == 250)
    }

    @Test func hostileTimeoutsClamped() {
        #expect(HTTPClient.milliseconds(.infinity) == 86_400_000)
        #expect(HTTPClient.milliseconds(1e300) == 86_400_000)
        #expect(HTTPClient.milliseconds(-5) == 1)
        #expect(HTTPClient.milliseconds(.nan) == 30_000)
    }

    @Test func answerDeadlineBoundsSilence() {
        var options = TransportOptions()
        options.timeout = 30
        options.connectTimeout = 10
        let json = WorkerRequest(handleKey: "a", options: options, url: "", body: .json([]))
        let upload = WorkerRequest(
            handleKey: "a", options: options, url: "",
            body: .file(
                WorkerRequest.FileUpload(
                    partName: "file", filePath: "/x", fileName: "x", contentType: "text/plain",
                    maximumSpeed: 0, stallTimeout: 60)))
        #expect(HTTPWorker.answerDeadline(for: json) == 35)
        #expect(HTTPWorker.answerDeadline(for: upload) == 20)
    }
}
