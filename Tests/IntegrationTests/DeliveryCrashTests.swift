import Foundation
import Testing

/// SplitMix64, so the kill moments repeat from run to run.
struct KillScheduleGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Returns true when this process may mount a tmpfs (root, and `mount` works here).
func canMountTmpfs() -> Bool {
    guard geteuid() == 0, let directory = try? TemporaryDirectory(prefix: "crashfwd-mount-probe")
    else { return false }
    guard
        (try? HTTPClient.run(
            "/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory.path]))?.0 == 0
    else { return false }
    _ = try? HTTPClient.run("/bin/umount", [directory.path])
    return true
}

/// Kills, power-loss stand-ins and a full disk, with the real binary and sandbox.
@Suite struct DeliveryCrashTests {
    static let kills = 20
    static let crashesPerRound = 3

    @Test func killLoopLosesNoCrash() throws {
        let sandbox = try SandboxServer(extraArguments: [
            "--random-failures", "0.3", "--seed", "11", "--quiet",
        ])
        let daemon = try CrashfwdDaemon(sandbox: sandbox, delivery: ["max_in_flight": "2"])
        var generator = KillScheduleGenerator(state: 5)
        var pids: [Int] = []
        for round in 0..<Self.kills {
            for index in 0..<Self.crashesPerRound {
                let pid = 1000 + round * Self.crashesPerRound + index
                try daemon.appendCrash(pid: pid)
                pids.append(pid)
            }
            try daemon.start()
            usleep(UInt32.random(in: 20_000...600_000, using: &generator))
            daemon.kill9()
        }
        try daemon.start()

        #expect(
            try pollUntil(seconds: 60) { Set(try sandbox.ticketPids()) == Set(pids) },
            "\(daemon.output)")
        #expect(try pollUntil { try daemon.states()["done"]?.count == pids.count })
        let ticketPids = try sandbox.ticketPids()
        let duplicates = ticketPids.count - Set(ticketPids).count
        let possible = try daemon.queueRows().reduce(0) {
            $0 + ($1["possibleDuplicates"] as? Int ?? 0)
        }
        // Status 0 marks a connection the sandbox dropped; accept-then-drop stores a ticket
        // whose answer never arrives, so each may add one duplicate without any kill.
        let dropped = try sandbox.createRequests(status: 0).count
        print(
            "kill loop: \(Self.kills) kills, \(pids.count) crashes, \(ticketPids.count) tickets, "
                + "\(duplicates) duplicates, \(possible) counted possible duplicates, "
                + "\(dropped) dropped connections")
        #expect(duplicates <= possible + dropped)
        #expect(possible <= Self.kills)
        #expect(daemon.logLines(containing: "moved to quarantine").isEmpty)
    }

    @Test(.enabled(if: canMountTmpfs(), "mounting a tmpfs needs root and a kernel that allows it"))
    func diskFullKeepsReports() throws {
        let sandbox = try SandboxServer()
        let directory = try TemporaryDirectory(prefix: "crashfwd-tmpfs")
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let (mountStatus, _, mountErrors) = try HTTPClient.run(
            "/bin/mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", state])
        try #require(mountStatus == 0, "mount failed: \(mountErrors)")
        defer { _ = try? HTTPClient.run("/bin/umount", [state]) }

        let daemon = try CrashfwdDaemon(sandbox: sandbox, stateDirectory: state)
        defer { daemon.stop() }
        try daemon.appendCrash(pid: 201)
        try daemon.start()
        #expect(try pollUntil { try daemon.states()["done"]?.count == 1 }, "\(daemon.output)")

        // A report that keeps failing stays queued while the disk fills.
        try sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/feedback/", "times": -1, "status": 503}]"#)
        try daemon.appendCrash(pid: 202)
        #expect(try pollUntil { try daemon.states()["queued"]?.count == 1 })
        try fill(directory: state)
        let before = try snapshot("\(state)/reports")

        for pid in 203...206 { try daemon.appendCrash(pid: pid) }
        #expect(
            try pollUntil {
                daemon.logLines(containing: "cannot write report to the queue").count >= 4
            }, "\(daemon.output)")
        // A write that began before the disk filled may still land, so compare what each
        // file says rather than its bytes: no report is lost and every file still decodes.
        let after = try snapshot("\(state)/reports")
        #expect(after.keys.sorted() == before.keys.sorted())
        for (name, data) in after {
            let report = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            #expect(report?["id"] as? String == String(name.dropLast(".json".count)), "\(name)")
        }
        #expect(try daemon.states().values.reduce(0) { $0 + $1.count } == 2)

        try FileManager.default.removeItem(atPath: "\(state)/filler")
        try sandbox.clearFaults()
        #expect(
            try pollUntil { try sandbox.ticketPids().sorted() == Array(201...206) },
            "\(daemon.output)")
        #expect(try pollUntil { try daemon.states()["done"]?.count == 6 })
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(state)/quarantine").isEmpty)
    }

    /// Writes `DIRECTORY/filler` until the file system reports it full.
    func fill(directory: String) throws {
        let path = "\(directory)/filler"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0x5a, count: 4096)
        while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        var small: UInt8 = 1
        while write(descriptor, &small, 1) > 0 {}
        #expect(errno == ENOSPC)
    }

    /// File names and contents of a directory, leaving out temporary files.
    func snapshot(_ directory: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory)
        where !name.hasPrefix(".") {
            result[name] = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
        }
        return result
    }
}
