import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real systemd-journald running in a private mount namespace, with its runtime directory
/// and journal files under a temporary directory that the test process can read.
///
/// Inside the namespace `/run/systemd`, `/run/log`, `/var/log/journal` and
/// `/etc/systemd/journald.conf` are bind mounts onto the temporary directory, so the host's
/// journal, sockets and configuration are never touched. The configuration keeps the journal
/// volatile, turns rate limiting off and does not read the kernel log buffer.
final class PrivateJournald {
    static let executable = "/lib/systemd/systemd-journald"
    static let configuration = """
        [Journal]
        Storage=volatile
        ReadKMsg=no
        RateLimitIntervalSec=0
        RateLimitBurst=0
        ForwardToSyslog=no
        ForwardToKMsg=no
        ForwardToConsole=no
        ForwardToWall=no

        """

    let root: String
    let machineID: String
    private(set) var pid: pid_t = 0

    /// The directory journald writes this machine's journal files to.
    var journalDirectory: String { "\(root)/log/journal/\(machineID)" }
    /// journald's native-protocol socket.
    var socketPath: String { "\(root)/run-systemd/journal/socket" }

    init() throws {
        var template = Array("/tmp/crashfwd-journald.XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        root = String(cString: created)
        machineID = try String(contentsOfFile: "/etc/machine-id", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for directory in ["run-systemd", "log", "var-log-journal"] {
            try FileManager.default.createDirectory(
                atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        try Self.configuration.write(
            toFile: "\(root)/journald.conf", atomically: true, encoding: .utf8)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Starts journald and waits until its socket and active journal file exist.
    func start() throws {
        var mounts = [
            "mount --make-rprivate /",
            "mount --bind \(root)/run-systemd /run/systemd",
            "mount --bind \(root)/log /run/log",
            "mount --bind \(root)/journald.conf /etc/systemd/journald.conf",
        ]
        if FileManager.default.fileExists(atPath: "/var/log/journal") {
            mounts.append("mount --bind \(root)/var-log-journal /var/log/journal")
        }
        let script =
            (["set -e"] + mounts + [
                "mkdir -p /run/systemd/journal /run/log/journal",
                "exec \(Self.executable)",
            ]).joined(separator: "\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        // unshare without --fork execs bash, which execs journald: the PID is journald's.
        process.arguments = ["-m", "bash", "-c", script]
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        pid = process.processIdentifier
        try waitUntil("journald socket and journal file") {
            FileManager.default.fileExists(atPath: socketPath)
                && FileManager.default.fileExists(atPath: "\(journalDirectory)/system.journal")
        }
    }

    /// Stops journald with SIGTERM, which closes its journal files cleanly, and waits until it
    /// has exited; after 5 seconds it is killed with SIGKILL.
    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        var status: Int32 = 0
        // Foundation's Process may reap the child first, and then waitpid fails with ECHILD.
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline { kill(pid, SIGKILL) }
            usleep(5_000)
        }
        pid = 0
        // Removing the socket lets start() wait for the next journald to bind it again.
        unlink(socketPath)
    }

    func restart() throws {
        stop()
        try start()
    }

    /// Asks journald to rotate (SIGUSR2) and waits until the archived file appears.
    func rotate() throws {
        let before = archivedFiles().count
        // kill(0, ...) would signal the whole process group, the test runner included.
        guard pid > 0 else { throw TestSupportError("journald is not running; cannot rotate") }
        kill(pid, SIGUSR2)
        try waitUntil("rotated journal file") { archivedFiles().count > before }
    }

    /// Removes every archived journal file with `journalctl --vacuum-files=1`, retrying
    /// while journald is still taking a just-rotated file offline.
    func vacuum() throws {
        try waitUntil("vacuumed journal files") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/journalctl")
            process.arguments = ["--directory=\(journalDirectory)", "--vacuum-files=1"]
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return archivedFiles().isEmpty
        }
    }

    func archivedFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: journalDirectory)) ?? []
        return names.filter { $0.hasPrefix("system@") }.sorted()
    }

    /// Sends one entry in journald's native protocol.
    func send(fields: [String: String]) throws {
        try send(binaryFields: fields.map { ($0.key, Array($0.value.utf8)) })
    }

    /// Sends one entry whose values are raw bytes, as an ordered list of fields.
    func send(binaryFields fields: [(String, [UInt8])]) throws {
        let datagram = Self.encode(fields)
        let descriptor = socket(
            AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw PrivateJournaldError("socket: errno \(errno)") }
        defer { Glibc.close(descriptor) }
        var size: Int32 = 8 << 20
        setsockopt(
            descriptor, SOL_SOCKET, SO_SNDBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in socketPath.utf8.prefix(buffer.count - 1).enumerated() {
                buffer[index] = byte
            }
        }
        let sent = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(
                        descriptor, bytes.baseAddress, bytes.count, 0, $0,
                        socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        guard sent == datagram.count else {
            throw PrivateJournaldError("sendto \(socketPath): errno \(errno)")
        }
    }

    /// Encodes fields as `NAME=value\n`, or for values with a newline or a non-text byte as
    /// `NAME\n`, a 64-bit little-endian length, the bytes and `\n`.
    static func encode(_ fields: [(String, [UInt8])]) -> [UInt8] {
        var datagram: [UInt8] = []
        for (name, value) in fields {
            datagram += Array(name.utf8)
            if value.contains(where: { $0 == 10 || $0 < 32 && $0 != 9 }) {
                datagram.append(10)
                withUnsafeBytes(of: UInt64(value.count).littleEndian) { datagram += $0 }
            } else {
                datagram.append(UInt8(ascii: "="))
            }
            datagram += value
            datagram.append(10)
        }
        return datagram
    }

    private func waitUntil(_ what: String, timeout: Double = 10, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() > deadline {
                throw PrivateJournaldError("timed out waiting for \(what) in \(root)")
            }
            usleep(10_000)
        }
    }
}

struct PrivateJournaldError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
