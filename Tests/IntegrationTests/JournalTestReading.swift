import CrashfwdCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads from a journal source the way the daemon does: read, then poll its descriptor,
/// until `isDone` accepts the records collected so far or `timeout` seconds pass.
func readJournal(
    _ source: JournalSource, limit: Int = 500, timeout: Double = 15,
    until isDone: ([LogRecord]) -> Bool
) throws -> [LogRecord] {
    var records: [LogRecord] = []
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        records += try source.read(limit: limit)
        if isDone(records) { return records }
        let remaining = deadline.timeIntervalSinceNow
        if remaining <= 0 { return records }
        var descriptor = pollfd(fd: source.pollDescriptor, events: Int16(POLLIN), revents: 0)
        let wait = min(source.pollTimeout ?? remaining, remaining)
        _ = poll(&descriptor, 1, Int32(wait * 1000))
    }
}

/// The values of one field across records, in order, for records that have it.
func values(_ field: String, in records: [LogRecord]) -> [String] {
    records.compactMap { $0.fields[field] }
}

/// A fresh state directory for cursor files.
func makeStateDirectory() throws -> String {
    var template = Array("/tmp/crashfwd-state.XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else { throw PrivateJournaldError("mkdtemp failed") }
    return String(cString: created)
}

/// Fields of an entry tagged for a test, so records from journald itself can be told apart.
func testEntry(_ tag: String, _ number: Int, priority: Int = 6) -> [String: String] {
    [
        "MESSAGE": "\(tag) entry \(number)", "SYSLOG_IDENTIFIER": "crashfwd-test", "TEST_TAG": tag,
        "TEST_NUMBER": String(number), "PRIORITY": String(priority),
    ]
}

/// The fields systemd-coredump writes for a crash, trimmed to the ones tickets use.
func coredumpEntry(pid: Int, number: Int = 0) -> [String: String] {
    [
        "MESSAGE_ID": JournalConfig.coredumpMessageID,
        "MESSAGE": """
        Process \(pid) (demo-app) of user 0 dumped core.

        Stack trace of thread \(pid):
        #0  0x00007f3a1c0a9e2c __pthread_kill_implementation (libc.so.6 + 0x8ae2c)
        #1  0x00007f3a1c05afb2 raise (libc.so.6 + 0x3bfb2)
        #2  0x000055d1c3e4a1b9 parse_header (demo-app + 0x11b9)
        #3  0x000055d1c3e4a2f0 main (demo-app + 0x12f0)
        """,
        "COREDUMP_EXE": "/usr/bin/demo-app", "COREDUMP_PID": String(pid),
        "COREDUMP_SIGNAL_NAME": "SIGSEGV", "COREDUMP_SIGNAL": "11", "PRIORITY": "2",
        "SYSLOG_IDENTIFIER": "systemd-coredump", "TEST_TAG": "crash", "TEST_NUMBER": String(number),
    ]
}
