import CrashfwdCore
import Testing

extension JournalTests {
    @Suite("JournalSource cursor and file changes", .serialized)
    struct JournalCursorTests {
        func openSource(
            _ journald: PrivateJournald, state: String,
            startAt: JournalConfig.StartPosition = .boot,
            onWarning: @escaping (String) -> Void = { _ in }
        ) throws -> JournalSource {
            let config = JournalConfig(
                location: .directory(journald.journalDirectory),
                matches: [
                    ["SYSLOG_IDENTIFIER=crashfwd-test"], ["SYSLOG_IDENTIFIER=systemd-coredump"],
                ],
                startAt: startAt)
            return try JournalSource(config: config, stateDirectory: state, onWarning: onWarning)
        }

        func numbers(_ records: [LogRecord], tag: String) -> [Int] {
            records.filter { $0.fields["TEST_TAG"] == tag }.compactMap {
                $0.fields["TEST_NUMBER"].flatMap(Int.init)
            }
        }

        /// A detector that reports coredump entries once the next two entries of the same stream
        /// have been read, so a crash read just before a stop is still pending.
        func makeDetector() throws -> Detector {
            let matcher = MatcherConfig(
                name: "coredump", destination: "crashes", journal: true,
                journalMatches: ["MESSAGE_ID=\(JournalConfig.coredumpMessageID)"], start: nil,
                contextAfter: 2)
            return try Detector(matchers: [matcher])
        }

        @Test func cursorResumeSeesEveryCrashOnce() throws {
            let journald = try PrivateJournald()
            let state = try makeStateDirectory()
            let total = 10_000
            var crashNumbers: [Int] = []
            for number in 0..<total {
                if number % 97 == 13 {
                    // Crash entries come from the test process too, so they share a stream with
                    // the entries that follow them and the detector's block stays open.
                    var crash = coredumpEntry(pid: 1000 + number, number: number)
                    crash["SYSLOG_IDENTIFIER"] = "crashfwd-test"
                    try journald.send(fields: crash)
                    crashNumbers.append(number)
                } else {
                    try journald.send(fields: testEntry("bulk", number))
                }
            }

            // First run: stop in the middle, right after a crash whose block is still open.
            let first = try openSource(journald, state: state)
            let firstDetector = try makeDetector()
            var detections: [Detection] = []
            var firstRecords: [LogRecord] = []
            while true {
                let batch = try first.read(limit: firstRecords.count < total / 2 ? 500 : 1)
                try #require(!batch.isEmpty)
                for record in batch { detections += firstDetector.process(record, now: 0) }
                firstRecords += batch
                if firstRecords.count >= total / 2
                    && firstDetector.oldestPendingPosition(source: "journal") != nil
                {
                    break
                }
            }
            try first.savePositions { firstDetector.oldestPendingPosition(source: $0) }
            first.close()
            let pendingID = try #require(firstDetector.oldestPendingPosition(source: "journal")?.id)

            // Second run: resume at the pending crash and read to the end.
            let second = try openSource(journald, state: state)
            defer { second.close() }
            let secondDetector = try makeDetector()
            let secondRecords = try readJournal(second, limit: 700) { records in
                records.last.flatMap { $0.fields["TEST_NUMBER"] } == String(total - 1)
            }
            for record in secondRecords { detections += secondDetector.process(record, now: 0) }
            detections += secondDetector.flushAll()

            #expect(secondRecords.first?.position.id == pendingID)
            let seen = Set(firstRecords.map(\.position.id)).union(secondRecords.map(\.position.id))
            #expect(seen.count == total)
            let detected = detections.compactMap {
                $0.journalFields["TEST_NUMBER"].flatMap(Int.init)
            }
            #expect(detected.sorted() == crashNumbers)
        }

        @Test func cursorAfterResumesWithNextEntry() throws {
            let journald = try PrivateJournald()
            let state = try makeStateDirectory()
            for number in 0..<20 { try journald.send(fields: testEntry("bulk", number)) }
            let first = try openSource(journald, state: state)
            let firstRecords = try readJournal(first, limit: 7) { $0.count >= 7 }
            try first.savePositions { _ in nil }
            first.close()

            let second = try openSource(journald, state: state)
            defer { second.close() }
            let secondRecords = try readJournal(second) { numbers($0, tag: "bulk").last == 19 }
            #expect(numbers(firstRecords, tag: "bulk") == Array(0..<7))
            #expect(numbers(secondRecords, tag: "bulk") == Array(7..<20))
        }

        @Test func vacuumedCursorWarnsAndContinues() throws {
            let journald = try PrivateJournald()
            let state = try makeStateDirectory()
            for number in 0..<10 { try journald.send(fields: testEntry("old", number)) }
            let first = try openSource(journald, state: state)
            _ = try readJournal(first) { numbers($0, tag: "old").last == 9 }
            try first.savePositions { _ in nil }
            first.close()

            try journald.rotate()
            for number in 0..<10 { try journald.send(fields: testEntry("new", number)) }
            try journald.vacuum()
            #expect(journald.archivedFiles().isEmpty)

            var warnings: [String] = []
            let second = try openSource(journald, state: state) { warnings.append($0) }
            defer { second.close() }
            let records = try readJournal(second) { numbers($0, tag: "new").last == 9 }
            #expect(numbers(records, tag: "old").isEmpty)
            #expect(numbers(records, tag: "new") == Array(0..<10))
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("was not found") == true)
        }

        @Test func rotationWhileFollowingLosesNothing() throws {
            let journald = try PrivateJournald()
            let source = try openSource(journald, state: try makeStateDirectory(), startAt: .tail)
            defer { source.close() }
            var records: [LogRecord] = []
            for round in 0..<4 {
                for number in round * 100..<(round + 1) * 100 {
                    try journald.send(fields: testEntry("bulk", number))
                }
                records += try source.read(limit: 30)
                try journald.rotate()
            }
            records += try readJournal(source) { numbers($0, tag: "bulk").last == 399 }
            #expect(numbers(records, tag: "bulk") == Array(0..<400))
        }

        // NOTE: reading a journal file that journald archived and vacuum then removed has ended
        // this test process with SIGBUS inside libsystemd 252 (about one run in three), which
        // takes every other test down with it. It stays disabled until it runs the reader in a
        // child process; a daemon hit by it is restarted by systemd and resumes at its cursor.
        @Test(.disabled("SIGBUS in libsystemd when a followed file is vacuumed; see the note"))
        func vacuumOfUnreadFileWarns() throws {
            let journald = try PrivateJournald()
            var warnings: [String] = []
            let source = try openSource(journald, state: try makeStateDirectory(), startAt: .tail) {
                warnings.append($0)
            }
            defer { source.close() }
            for number in 0..<100 { try journald.send(fields: testEntry("bulk", number)) }
            var records = try readJournal(source, limit: 10) {
                numbers($0, tag: "bulk").count >= 10
            }
            try journald.rotate()
            try journald.vacuum()
            for number in 100..<200 { try journald.send(fields: testEntry("bulk", number)) }

            records += try readJournal(source) { numbers($0, tag: "bulk").last == 199 }
            let read = numbers(records, tag: "bulk")
            #expect(read.prefix(10) == ArraySlice(0..<10))
            #expect(read.suffix(100) == ArraySlice(100..<200))
            #expect(Set(read).count == read.count)
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("may be lost") == true)
        }

        @Test func journaldRestartWhileFollowingLosesNothing() throws {
            let journald = try PrivateJournald()
            let source = try openSource(journald, state: try makeStateDirectory(), startAt: .tail)
            defer { source.close() }
            for number in 0..<100 { try journald.send(fields: testEntry("bulk", number)) }
            var records = try readJournal(source, limit: 40) {
                numbers($0, tag: "bulk").count >= 40
            }
            try journald.restart()
            for number in 100..<200 { try journald.send(fields: testEntry("bulk", number)) }

            records += try readJournal(source) { numbers($0, tag: "bulk").last == 199 }
            #expect(numbers(records, tag: "bulk") == Array(0..<200))
        }
    }
}
