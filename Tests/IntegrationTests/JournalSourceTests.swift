import CrashfwdCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension JournalTests {
    @Suite("JournalSource on a private journald", .serialized)
    struct JournalSourceTests {
        func openSource(
            _ journald: PrivateJournald, matches: [[String]] = [],
            startAt: JournalConfig.StartPosition = .tail,
            state: String? = nil, maxFieldBytes: Int = 64 * 1024,
            onWarning: @escaping (String) -> Void = { _ in }
        ) throws -> JournalSource {
            let config = JournalConfig(
                location: .directory(journald.journalDirectory), matches: matches, startAt: startAt,
                maxFieldBytes: maxFieldBytes)
            return try JournalSource(
                config: config, stateDirectory: state ?? makeStateDirectory(), onWarning: onWarning)
        }

        @Test func entriesBecomeRecords() throws {
            let journald = try PrivateJournald()
            let source = try openSource(journald)
            defer { source.close() }
            try journald.send(
                fields: testEntry("basic", 1).merging(["CUSTOM_FIELD": "custom value"]) { $1 })

            let records = try readJournal(source) { values("TEST_TAG", in: $0).contains("basic") }
            let record = try #require(records.first { $0.fields["TEST_TAG"] == "basic" })
            #expect(record.source == "journal")
            #expect(record.text == "basic entry 1")
            #expect(record.fields["CUSTOM_FIELD"] == "custom value")
            #expect(record.fields["_TRANSPORT"] == "journal")
            #expect(record.stream == "journal/crashfwd-test/\(getpid())")
            #expect(record.position.id.hasPrefix("s="))
            #expect(record.position.resume == record.position.id)
            #expect(record.timestamp > 1_600_000_000_000_000)
        }

        @Test func descriptorWakesOnNewEntry() throws {
            let journald = try PrivateJournald()
            let source = try openSource(journald)
            defer { source.close() }
            _ = try source.read(limit: 100)
            #expect(source.pollTimeout == nil)

            try journald.send(fields: testEntry("wake", 1))
            var descriptor = pollfd(fd: source.pollDescriptor, events: Int16(POLLIN), revents: 0)
            #expect(poll(&descriptor, 1, 5000) == 1)
            let records = try readJournal(source) { values("TEST_TAG", in: $0).contains("wake") }
            #expect(values("TEST_TAG", in: records) == ["wake"])
        }

        @Test func coredumpFieldsComeThrough() throws {
            let journald = try PrivateJournald()
            let source = try openSource(journald, matches: JournalConfig.defaultMatches)
            defer { source.close() }
            try journald.send(fields: coredumpEntry(pid: 4242))

            let records = try readJournal(source) { values("TEST_TAG", in: $0).contains("crash") }
            let record = try #require(records.first { $0.fields["TEST_TAG"] == "crash" })
            #expect(record.fields["COREDUMP_EXE"] == "/usr/bin/demo-app")
            #expect(record.fields["COREDUMP_SIGNAL_NAME"] == "SIGSEGV")
            #expect(record.fields["COREDUMP_PID"] == "4242")
            #expect(record.fields["MESSAGE_ID"] == JournalConfig.coredumpMessageID)
            #expect(
                record.text.contains("\n#2  0x000055d1c3e4a1b9 parse_header (demo-app + 0x11b9)\n"))
        }

        @Test func defaultMatchesExcludeInfoEntries() throws {
            let journald = try PrivateJournald()
            let source = try openSource(journald, matches: JournalConfig.defaultMatches)
            defer { source.close() }
            try journald.send(fields: testEntry("noise", 1, priority: 6))
            try journald.send(fields: testEntry("error", 2, priority: 3))
            try journald.send(fields: testEntry("notice", 3, priority: 5))
            try journald.send(fields: coredumpEntry(pid: 77, number: 4))
            try journald.send(fields: testEntry("end", 5, priority: 2))

            let records = try readJournal(source) { values("TEST_TAG", in: $0).contains("end") }
            #expect(values("TEST_TAG", in: records) == ["error", "crash", "end"])
        }

        @Test func matchGroupAndsFieldsOrsGroups() throws {
            let journald = try PrivateJournald()
            let matches = [
                ["SYSLOG_IDENTIFIER=crashfwd-test", "PRIORITY=3", "PRIORITY=4"], ["TEST_TAG=end"],
            ]
            let source = try openSource(journald, matches: matches)
            defer { source.close() }
            try journald.send(fields: testEntry("info", 1, priority: 6))
            try journald.send(fields: testEntry("error", 2, priority: 3))
            try journald.send(fields: testEntry("warning", 3, priority: 4))
            var other = testEntry("other-program", 4, priority: 3)
            other["SYSLOG_IDENTIFIER"] = "other"
            try journald.send(fields: other)
            try journald.send(fields: testEntry("end", 5, priority: 6))

            let records = try readJournal(source) { values("TEST_TAG", in: $0).contains("end") }
            #expect(values("TEST_TAG", in: records) == ["error", "warning", "end"])
        }

        @Test func startAtBootReadsEarlierEntries() throws {
            let journald = try PrivateJournald()
            try journald.send(fields: testEntry("before", 1))
            let probe = try openSource(journald, startAt: .boot)
            _ = try readJournal(probe) { values("TEST_TAG", in: $0).contains("before") }
            probe.close()
            let tail = try openSource(journald, startAt: .tail)
            let boot = try openSource(journald, startAt: .boot)
            defer {
                tail.close()
                boot.close()
            }
            try journald.send(fields: testEntry("after", 2))

            let fromTail = try readJournal(tail) { values("TEST_TAG", in: $0).contains("after") }
            let fromBoot = try readJournal(boot) { values("TEST_TAG", in: $0).contains("after") }
            #expect(values("TEST_TAG", in: fromTail) == ["after"])
            #expect(values("TEST_TAG", in: fromBoot) == ["before", "after"])
        }

        @Test func binaryValuesBecomeSafeText() throws {
            let journald = try PrivateJournald()
            let source = try openSource(journald, maxFieldBytes: 1024)
            defer { source.close() }
            let huge = [UInt8](repeating: UInt8(ascii: "a"), count: 100_000)
            try journald.send(binaryFields: [
                (
                    "MESSAGE",
                    Array("bad \u{1b}[31m utf8 ".utf8) + [0xC3, 0x28, 0xFF] + Array(" ünïcode".utf8)
                ),
                ("BINARY", [0x66, 0x00, 0xFF, 0x0D, 0x41]),
                ("HUGE", huge),
                ("TEST_TAG", Array("binary".utf8)),
            ])

            let records = try readJournal(source) { values("TEST_TAG", in: $0).contains("binary") }
            let record = try #require(records.first { $0.fields["TEST_TAG"] == "binary" })
            #expect(record.text == "bad \\x1b[31m utf8 \\xc3(\\xff ünïcode")
            #expect(record.fields["BINARY"] == "f\\x00\\xff\\x0dA")
            #expect(record.fields["HUGE"] == String(repeating: "a", count: 1024) + " [truncated]")
        }
    }
}
