import Foundation
import Testing

/// End-to-end tests of the attach stage: crashfwd detects a crash in a log file, creates a
/// ticket in the sandbox and uploads the core file and a log excerpt to it.
@Suite struct AttachTests {
    /// A `.zst` core is sent as stored; any other core is sent gzip-compressed.
    @Test(arguments: ["core.app.42.1700000000.zst", "core.app.42"])
    func coreAndExcerptAttached(coreName: String) throws {
        let harness = try AttachHarness()
        let core = "\(harness.allowedDirectory)/\(coreName)"
        try AttachHarness.writeRandomFile(core, size: 3 * 1024 * 1024 + 5)
        let coreDigest = try HTTPClient.sha256(ofFile: core)
        try harness.start()
        try harness.crash(core: core)

        let ticket = try harness.waitForTicket(attachments: 2)
        let sentName = coreName.hasSuffix(".zst") ? coreName : coreName + ".gz"
        let coreAttachment = try #require(ticket.attachments.first { $0.element == "coreDump" })
        #expect(coreAttachment.name == sentName)
        let stored = harness.storedFile(ticket: ticket.id, element: "coreDump", name: sentName)
        if coreName.hasSuffix(".zst") {
            #expect(coreAttachment.sha256 == coreDigest)
        } else {
            let unpacked = harness.directory.file("unpacked")
            try AttachHarness.gunzip(stored).write(to: URL(fileURLWithPath: unpacked))
            #expect(try HTTPClient.sha256(ofFile: unpacked) == coreDigest)
        }
        #expect(try HTTPClient.sha256(ofFile: stored) == coreAttachment.sha256)

        let excerpt = try #require(ticket.attachments.first { $0.element == "logs" })
        #expect(excerpt.name == "segfault-excerpt.log.gz")
        let excerptText = String(
            decoding: try AttachHarness.gunzip(
                harness.storedFile(ticket: ticket.id, element: "logs", name: excerpt.name)),
            as: UTF8.self)
        #expect(
            excerptText.contains("app[42]: rendering frame 7\napp[42]: segfault, core \(core)\n"))
        #expect(
            !FileManager.default.fileExists(
                atPath:
                    "\(harness.stateDirectory)/attachments/\(try #require(harness.reports().first?["id"] as? String))"
            ))
        #expect(harness.daemonLog.contains("attachment uploaded"))
    }

    enum Unsafe: String, CaseIterable {
        case symlinkToShadow, symlinkedDirectory, dotDot, fifo, directory
    }

    /// Prepares an unsafe core path and returns it with the words expected in the note.
    func unsafeCore(_ kind: Unsafe, in harness: AttachHarness) throws -> (
        path: String, reason: String
    ) {
        let allowed = harness.allowedDirectory
        switch kind {
        case .symlinkToShadow:
            try FileManager.default.createSymbolicLink(
                atPath: "\(allowed)/core.link", withDestinationPath: "/etc/shadow")
            return ("\(allowed)/core.link", "is a symbolic link")
        case .symlinkedDirectory:
            try FileManager.default.createSymbolicLink(
                atPath: "\(allowed)/etc", withDestinationPath: "/etc")
            return ("\(allowed)/etc/shadow", "resolves outside the allowed directories")
        case .dotDot:
            return ("\(allowed)/../../../etc/shadow", "without '.' or '..'")
        case .fifo:
            #expect(mkfifo("\(allowed)/core.fifo", 0o600) == 0)
            return ("\(allowed)/core.fifo", "is a FIFO")
        case .directory:
            try FileManager.default.createDirectory(
                atPath: "\(allowed)/core.dir", withIntermediateDirectories: false)
            return ("\(allowed)/core.dir", "is a directory")
        }
    }

    @Test(arguments: Unsafe.allCases)
    func unsafeCorePathRejected(kind: Unsafe) throws {
        let harness = try AttachHarness()
        let (path, reason) = try unsafeCore(kind, in: harness)
        try harness.start()
        try harness.crash(core: path)

        let ticket = try harness.waitForTicket(attachments: 2)
        #expect(
            !ticket.attachments.contains {
                $0.element == "coreDump" && $0.name != "skipped-attachments.txt"
            })
        let note = try #require(ticket.attachments.first { $0.name == "skipped-attachments.txt" })
        let noteText = try String(
            contentsOfFile: harness.storedFile(
                ticket: ticket.id, element: note.element, name: note.name), encoding: .utf8)
        #expect(noteText.contains(reason), "\(noteText)")
        #expect(harness.daemonLog.contains("attachment skipped"))
        #expect(ticket.attachments.contains { $0.name == "segfault-excerpt.log.gz" })
    }

    /// A sparse file over the limit is skipped from its size alone, without being read.
    @Test(arguments: [("1M", Int64(2 * 1024 * 1024)), (nil, Int64(3) << 30)])
    func oversizedCoreSkipped(limit: String?, size: Int64) throws {
        let harness = try AttachHarness()
        let core = "\(harness.allowedDirectory)/core.big.zst"
        #expect(FileManager.default.createFile(atPath: core, contents: nil))
        #expect(truncate(core, off_t(size)) == 0)
        try harness.start(maxFileBytes: limit)
        let pid = try #require(harness.pid)
        let started = Date()
        try harness.crash(core: core)

        let ticket = try harness.waitForTicket(attachments: 2)
        #expect(Date().timeIntervalSince(started) < 20)
        let note = try #require(ticket.attachments.first { $0.name == "skipped-attachments.txt" })
        let noteText = try String(
            contentsOfFile: harness.storedFile(
                ticket: ticket.id, element: note.element, name: note.name), encoding: .utf8)
        #expect(noteText.contains("\(size) bytes is over the limit"), "\(noteText)")
        let peak = try #require(AttachHarness.peakResidentKiB(pid: pid))
        #expect(peak < 100 * 1024, "peak RSS \(peak) KiB")
    }

    @Test func uploadCutHalfWayIsRetried() throws {
        let harness = try AttachHarness()
        let core = "\(harness.allowedDirectory)/core.app.7.zst"
        try AttachHarness.writeRandomFile(core, size: 8 * 1024 * 1024)
        try harness.sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/fileElements/coreDump", "times": 1, "action": "close-mid-request"}]"#
        )
        try harness.start()
        try harness.crash(core: core)

        let ticket = try harness.waitForTicket(attachments: 2)
        let cores = ticket.attachments.filter { $0.element == "coreDump" }
        #expect(cores.count == 1)
        #expect(cores.first?.sha256 == (try HTTPClient.sha256(ofFile: core)))
        let uploads = try harness.sandbox.requests().filter {
            $0.path.contains("/fileElements/coreDump")
        }
        #expect(uploads.map(\.status) == [0, 201])
        #expect(harness.daemonLog.contains("attachment upload failed, will retry"))
        let files = try FileManager.default.contentsOfDirectory(
            atPath: "\(harness.sandbox.dataPath)/files/\(ticket.id)/coreDump")
        #expect(files == ["core.app.7.zst"])
    }

    /// SIGTERM while a core is being uploaded: the daemon stops within the unit's stop
    /// timeout, keeps the attachment pending, and uploads it once after the restart.
    @Test func sigtermDuringUploadKeepsAttachment() throws {
        let harness = try AttachHarness()
        let core = "\(harness.allowedDirectory)/core.app.11.zst"
        try AttachHarness.writeRandomFile(core, size: 4 * 1024 * 1024)
        try harness.sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/fileElements/coreDump", "times": 1, "action": "delay", "delayMs": 5000}]"#
        )
        try harness.start()
        try harness.crash(core: core)
        try harness.waitUntil("the core upload to start") {
            try harness.sandbox.requests().contains { $0.path.contains("/fileElements/coreDump") }
                || harness.daemonLog.contains("attachment upload started")
        }

        let stopStarted = Date()
        harness.stop()
        #expect(Date().timeIntervalSince(stopStarted) < 60)
        #expect(try harness.reportStates() == ["created"], "\(harness.daemonLog)")

        try harness.start()
        let ticket = try harness.waitForTicket(attachments: 2)
        let cores = ticket.attachments.filter { $0.element == "coreDump" }
        #expect(cores.count == 1)
        #expect(cores.first?.sha256 == (try HTTPClient.sha256(ofFile: core)))
    }

    @Test func queuedCopySentAfterOriginalDeleted() throws {
        let harness = try AttachHarness()
        let core = "\(harness.allowedDirectory)/core.app.9.zst"
        try AttachHarness.writeRandomFile(core, size: 1024 * 1024)
        let digest = try HTTPClient.sha256(ofFile: core)
        try harness.sandbox.setFaults(
            #"[{"method": "POST", "pathContains": "/fileElements/", "times": -1, "status": 503}]"#)
        try harness.start()
        try harness.crash(core: core)

        try harness.waitUntil("the ticket to be created") { try !harness.sandbox.tickets().isEmpty }
        try FileManager.default.removeItem(atPath: core)
        try harness.sandbox.clearFaults()

        let ticket = try harness.waitForTicket(attachments: 2)
        #expect(ticket.attachments.first { $0.element == "coreDump" }?.sha256 == digest)
        #expect(harness.daemonLog.contains("attachment upload failed, will retry"))
    }

    @Test func queueShowListsAttachments() throws {
        let harness = try AttachHarness()
        let core = "\(harness.allowedDirectory)/core.app.3.zst"
        try AttachHarness.writeRandomFile(core, size: 4096)
        try harness.start()
        try harness.crash(core: core)
        _ = try harness.waitForTicket(attachments: 2)
        harness.stop()

        let id = try #require(harness.reports().first?["id"] as? String)
        let (status, output, errorText) = try HTTPClient.run(
            "/usr/bin/env",
            [
                "CENTERCODE_API_KEY=\(SandboxServer.defaultAPIKey)", Binaries.path("crashfwd"),
                "queue", "show", id, "--config", harness.directory.file("crashfwd.yaml"),
            ])
        #expect(status == 0, "\(errorText)")
        #expect(
            output.contains(
                "attachment:   coreDump/core.app.3.zst done, 4096 of 4096 bytes sent, 1 attempt(s)"),
            "\(output)")
        #expect(output.contains("attachment:   logs/segfault-excerpt.log.gz done"), "\(output)")
    }
}
