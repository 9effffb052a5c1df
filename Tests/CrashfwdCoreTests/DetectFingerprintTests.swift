import CrashfwdCore
import Testing

@Suite struct DetectFingerprintTests {
    private func fingerprints(_ lines: [String]) throws -> [String] {
        try DetectTestSupport.detect(lines).map(\.fingerprint)
    }

    @Test func segfaultIgnoresPidsAndAddresses() throws {
        let found = try fingerprints([
            "[Mon Jun 20 09:18:02 2016] myapp[19241]: segfault at 89 ip 000056362604cf6f sp"
                + " 00007ffc1d2125c0 error 4 in myapp[56362600d000+c2000]",
            "[Tue Jun 21 13:21:48 2016] myapp[28036]: segfault at 4d554e5145db ip 000055be4189bf6f"
                + " sp 00007fff384715f0 error 4 in myapp[55be4185c000+c2000]",
        ])
        try #require(found.count == 2)
        #expect(found[0] == found[1])
    }

    @Test func pythonIgnoresTimestampsAndTemporaryPaths() throws {
        func traceback(_ time: String, _ directory: String) -> [String] {
            [
                "2026-12-04T10:\(time) host01 app[\(time.prefix(2))]: Traceback (most recent call last):",
                "2026-12-04T10:\(time) host01 app[\(time.prefix(2))]:   File \"/tmp/\(directory)/job.py\", line 3, in run",
                "2026-12-04T10:\(time) host01 app[\(time.prefix(2))]: ValueError: bad value 0x7ffd1234",
            ]
        }
        let first = try fingerprints(traceback("11:12", "tmpa1b2c3"))
        let second = try fingerprints(traceback("59:01", "tmpzz9911"))
        try #require(first.count == 1 && second.count == 1)
        #expect(first == second)
    }

    @Test func differentTopFrameChangesFingerprint() throws {
        func python(_ function: String) -> [String] {
            [
                "Traceback (most recent call last):",
                "  File \"/srv/app.py\", line 3, in \(function)", "KeyError: 'id'",
            ]
        }
        let first = try fingerprints(python("load"))
        let second = try fingerprints(python("save"))
        try #require(first.count == 1 && second.count == 1)
        #expect(first != second)
    }

    @Test func differentProgramChangesFingerprint() {
        let first = Fingerprint.compute(kind: "segfault", program: "myapp", frames: ["libc.so.6"])
        let second = Fingerprint.compute(kind: "segfault", program: "other", frames: ["libc.so.6"])
        #expect(first != second)
    }
}
