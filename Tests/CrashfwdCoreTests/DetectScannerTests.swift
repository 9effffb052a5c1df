import CrashfwdCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct DetectScannerTests {
    private func scanFile(_ path: String) throws -> [Detection] {
        let detector = try Detector(matchers: DetectTestSupport.presetMatchers())
        return try FileScanner(detector: detector).scan(path: path).detections
            .sorted { $0.timestamp == $1.timestamp && $0.firstRecordID < $1.firstRecordID }
    }

    @Test(arguments: corpusCases)
    func fileScannerMatchesLineByLine(_ corpusCase: CorpusCase) throws {
        let path = "\(DetectTestSupport.corpusDirectory)/\(corpusCase.file)"
        let bulk = try scanFile(path)
        let lines = try DetectTestSupport.readCorpusLog(corpusCase.file)
        let single = try DetectTestSupport.detect(lines)
        #expect(bulk.map(\.lines) == single.map(\.lines))
        #expect(bulk.map(\.captures) == single.map(\.captures))
    }

    @Test func fileScannerFindsCrashesBetweenNoise() throws {
        var text = ""
        var expected: [[String]] = []
        for (index, sample) in presetSamples.enumerated() {
            for round in 0..<200 {
                text +=
                    "Jun 20 09:18:02 host01 app\(round % 5)[\(round)]: \(noiseLines[round % noiseLines.count])\n"
            }
            let crash = sample.lines.map { "Jun 20 09:18:03 host01 \(sample.tag): \($0)" }
            expected.append(crash)
            text += crash.joined(separator: "\n") + "\n"
            text += "Jun 20 09:18:04 host01 tail[\(index)]: done\n"
        }
        let path = "/tmp/crashfwd-scanner-test-\(getpid()).log"
        guard let file = fopen(path, "w") else {
            throw DetectTestSupport.MissingFixture(path: path)
        }
        fputs(text, file)
        fclose(file)
        defer { unlink(path) }
        let detector = try Detector(matchers: DetectTestSupport.presetMatchers())
        let result = try FileScanner(detector: detector).scan(path: path)
        // Blocks close in the order their streams go quiet, not in file order.
        let found = result.detections.map(\.lines).sorted { $0[0] < $1[0] }
        #expect(found == expected.sorted { $0[0] < $1[0] })
        #expect(
            result.detections.compactMap { result.lineNumbers[$0.firstRecordID] }.count
                == expected.count)
    }

    @Test(
        arguments: [
            ("Jun 20 09:18:02 host01 myapp[123]: text", "text", "myapp", "123"),
            ("Jun  2 09:18:02.123456 host01 kernel: [ 12.345] BUG: x", "BUG: x", "kernel", nil),
            ("2024-04-29T14:55:41.678+02:00 host01 sshd[9]: hello", "hello", "sshd", "9"),
            (
                "2024-04-29T14:55:41,678628+02:00 pool invoked oom-killer: x",
                "pool invoked oom-killer: x", nil, nil
            ),
            (
                "[Mon Jun 20 09:18:02 2016] systemd-network[19241]: segfault at 89",
                "segfault at 89", "systemd-network", "19241"
            ),
            ("<6>[    3.848729] VFS: Mounted root", "VFS: Mounted root", nil, nil),
            (
                "[ 9287.734430] systemd-coredump[7888]: Process 334", "Process 334",
                "systemd-coredump", "7888"
            ),
            ("plain line: no prefix", "plain line: no prefix", nil, nil),
        ] as [(String, String, String?, String?)])
    func linePrefixSplitsMessage(
        _ line: String, _ message: String, _ program: String?, _ pid: String?
    ) {
        let prefix = LinePrefix.parse(line)
        let bytes = Array(line.utf8)
        #expect(String(decoding: bytes[prefix.messageStart...], as: UTF8.self) == message)
        #expect(prefix.program.map { String(decoding: bytes[$0], as: UTF8.self) } == program)
        #expect(prefix.pid.map { String(decoding: bytes[$0], as: UTF8.self) } == pid)
    }

    @Test func hostileLineHitsMatchLimitOnce() throws {
        let matcher = MatcherConfig(
            name: "hostile", destination: "beta", start: "^(a+)+$", literals: ["aaaa"])
        let detector = try Detector(matchers: [matcher])
        let line = String(repeating: "a", count: 40) + "b"
        let found = try DetectTestSupport.detect([line, line, line], matchers: [matcher])
        #expect(found.isEmpty)
        _ = detector.process(
            LogRecord(
                source: "file:/x", stream: "file:/x", text: line,
                position: RecordPosition(sequence: 1, id: "1", resume: ""), timestamp: 0),
            now: 0)
        _ = detector.process(
            LogRecord(
                source: "file:/x", stream: "file:/x", text: line,
                position: RecordPosition(sequence: 2, id: "2", resume: ""), timestamp: 0),
            now: 0)
        let events = detector.takeMatchLimitEvents()
        #expect(events.count == 1)
        #expect(events.first?.count == 2)
        #expect(detector.takeMatchLimitEvents().isEmpty)
    }

    @Test func blockOverMaxLinesIsTruncated() throws {
        var matcher = MatcherConfig(
            name: "trace", destination: "beta", start: "^TRACE START", continuation: "^  ")
        matcher.maxLines = 3
        let lines = ["TRACE START", "  one", "  two", "  three", "  four"]
        let found = try DetectTestSupport.detect(lines, matchers: [matcher])
        try #require(found.count == 1)
        #expect(found[0].truncated)
        #expect(found[0].lines == ["TRACE START", "  one", "  two"])
    }

    @Test func hugeFirstLineIsCut() throws {
        var matcher = MatcherConfig(name: "long", destination: "beta", start: "^START")
        matcher.maxBytes = 100
        let found = try DetectTestSupport.detect(
            ["START" + String(repeating: "x", count: 1000)], matchers: [matcher])
        try #require(found.count == 1)
        #expect(found[0].truncated)
        #expect(found[0].lines[0].utf8.count == 99)
    }

    @Test func journalCoredumpUsesFields() throws {
        let detector = try Detector(
            matchers: DetectTestSupport.presetMatchers(["systemd-coredump"]))
        let record = LogRecord(
            source: "journal", stream: "journal\tsystemd-coredump[77]",
            text: "Process 4242 (myapp) of user 0 dumped core.\n\nStack trace of thread 4242:\n"
                + "#0  0x00007f00 raise (libc.so.6 + 0x3d4e)",
            fields: [
                "MESSAGE_ID": "fc2e22bc6ee647b6b90729ab34a250b1", "COREDUMP_COMM": "myapp",
                "COREDUMP_PID": "4242", "COREDUMP_SIGNAL_NAME": "SIGABRT",
            ],
            position: RecordPosition(sequence: 1, id: "cursor1", resume: "cursor1"), timestamp: 5)
        let found = detector.process(record, now: 0)
        try #require(found.count == 1)
        #expect(found[0].captures["program"] == "myapp")
        #expect(found[0].captures["signal"] == "SIGABRT")
        #expect(found[0].captures["top_frame"]?.hasPrefix("0x00007f00 raise") == true)
        #expect(found[0].lines.count == 4)
    }

    @Test func openBlockFlushesAfterTimeout() throws {
        let detector = try Detector(matchers: DetectTestSupport.presetMatchers(["python"]))
        let record = LogRecord(
            source: "file:/x", stream: "file:/x", text: "Traceback (most recent call last):",
            position: RecordPosition(sequence: 1, id: "1", resume: "0"), timestamp: 0)
        #expect(detector.process(record, now: 10).isEmpty)
        #expect(detector.nextDeadline == 12)
        #expect(detector.oldestPendingPosition(source: "file:/x")?.id == "1")
        #expect(detector.flushExpired(now: 11.9).isEmpty)
        #expect(detector.flushExpired(now: 12).count == 1)
        #expect(detector.nextDeadline == nil)
    }
}
