import CrashfwdCore
import Testing

/// What the detector must extract from one crash block of a corpus log. Nil for `program`,
/// `pid` and `signal` means the crash output does not contain it, so the capture must be
/// absent. `exception` and `detail` are substrings of the captures they name.
struct ExpectedBlock: Sendable {
    var kind: String
    var firstLine: Int
    var lastLine: Int
    var program: String?
    var pid: String?
    var signal: String?
    var exception: String? = nil
    /// A substring of `top_frame` or, for crashes without frames, of `message`.
    var detail: String? = nil
}

struct CorpusCase: Sendable, CustomStringConvertible {
    var file: String
    var blocks: [ExpectedBlock]
    var description: String { file }
}

/// Written from each log's `.meta` file.
let corpusCases: [CorpusCase] = [
    CorpusCase(
        file: "01-coredump-journal-nvidia-modprobe.log",
        blocks: [
            ExpectedBlock(
                kind: "systemd-coredump", firstLine: 1, lastLine: 9, program: "nvidia-modprobe",
                pid: "9298", signal: nil,
                detail: "0x00006ffc8b30783b n/a (/usr/lib/ld-linux-x86-64.so.2 + 0x2183b)")
        ]),
    CorpusCase(
        file: "03-coredump-kmsg-journald.log",
        blocks: [
            ExpectedBlock(
                kind: "systemd-coredump", firstLine: 1, lastLine: 8, program: "systemd-journal",
                pid: "334", signal: nil, detail: "0x000073c605eabbe2 n/a (libc.so.6 + 0x9dbe2)")
        ]),
    CorpusCase(
        file: "04-coredumpctl-info-systemd-user.log",
        blocks: [
            ExpectedBlock(
                kind: "systemd-coredump", firstLine: 1, lastLine: 21, program: "systemd",
                pid: "760",
                signal: "11 (SEGV)", detail: "0x000000746c756166 n/a (n/a + 0x0)")
        ]),
    CorpusCase(
        file: "05-segfault-dmesg-systemd-networkd.log",
        blocks: zip(1...6, ["19241", "28036", "32481", "6923", "7844", "8866"]).map { line, pid in
            ExpectedBlock(
                kind: "segfault", firstLine: line, lastLine: line, program: "systemd-network",
                pid: pid, signal: "SIGSEGV", detail: "systemd-networkd[")
        }),
    CorpusCase(
        file: "06-segfault-journal-systemd-coredump-pid1.log",
        blocks: [
            ExpectedBlock(
                kind: "segfault", firstLine: 2, lastLine: 2, program: "systemd-coredum", pid: "454",
                signal: "SIGSEGV", detail: "libc-2.24.so[7feef0811000+195000]"),
            ExpectedBlock(
                kind: "systemd-unit", firstLine: 3, lastLine: 3, program: "systemd", pid: "1",
                signal: "ABRT"),
        ]),
    CorpusCase(
        file: "08-oops-null-deref-radeon.log",
        blocks: [
            ExpectedBlock(
                kind: "kernel-oops", firstLine: 14, lastLine: 41, program: "Xorg", pid: "8003",
                signal: nil, exception: "Oops: 0000 [#1]",
                detail: "radeon_cp_init_ring_buffer+0x90/0x302")
        ]),
    CorpusCase(
        file: "10-panic-kill-init-arm64-ramoops.log",
        blocks: [
            ExpectedBlock(
                kind: "kernel-panic", firstLine: 3, lastLine: 15, program: "init", pid: "1",
                signal: nil, detail: "dump_backtrace+0x0/0x1b0")
        ]),
    CorpusCase(
        file: "12-oom-killer-perl.log",
        blocks: [
            ExpectedBlock(
                kind: "oom-kill", firstLine: 5, lastLine: 10, program: "perl", pid: "1440763",
                signal: "SIGKILL")
        ]),
    CorpusCase(
        file: "14-python-chained-direct-cause-django.log",
        blocks: [
            ExpectedBlock(
                kind: "python", firstLine: 2, lastLine: 12, program: nil, pid: nil, signal: nil,
                exception: "ImportError",
                detail: #"File "crypto_signal/manage.py", line 14, in <module>"#)
        ]),
    CorpusCase(
        file: "16-java-caused-by-android.log",
        blocks: [
            ExpectedBlock(
                kind: "java", firstLine: 1, lastLine: 19, program: nil, pid: nil, signal: nil,
                exception: "java.lang.RuntimeException",
                detail: "android.app.ActivityThread.performLaunchActivity(ActivityThread.java:2182)"
            )
        ]),
    CorpusCase(
        file: "18-go-panic-gaper.log",
        blocks: [
            ExpectedBlock(
                kind: "go", firstLine: 4, lastLine: 13, program: nil, pid: nil, signal: "SIGSEGV",
                detail: "os/exec.(*Cmd).Wait")
        ]),
    CorpusCase(
        file: "20-rust-panic-backtrace-red-oxide.log",
        blocks: [
            ExpectedBlock(
                kind: "rust", firstLine: 1, lastLine: 26, program: nil, pid: nil, signal: nil,
                detail: #"src\main.rs:177:37"#)
        ]),
    CorpusCase(
        file: "22-asan-segv-noah.log",
        blocks: [
            ExpectedBlock(
                kind: "sanitizer", firstLine: 1, lastLine: 16, program: nil, pid: "13512",
                signal: "SEGV", exception: "AddressSanitizer", detail: "main main.c:551")
        ]),
    CorpusCase(
        file: "24-ubsan-capstone.log",
        blocks: [
            ExpectedBlock(
                kind: "sanitizer", firstLine: 1, lastLine: 2, program: nil, pid: nil, signal: nil,
                detail: "TriCoreInstPrinter.c:282:32"),
            ExpectedBlock(
                kind: "sanitizer", firstLine: 3, lastLine: 4, program: nil, pid: nil, signal: nil,
                detail: "TriCoreInstPrinter.c:295:32"),
            ExpectedBlock(
                kind: "sanitizer", firstLine: 6, lastLine: 7, program: nil, pid: nil, signal: nil,
                detail: "TriCoreInstPrinter.c:247:15"),
            ExpectedBlock(
                kind: "sanitizer", firstLine: 8, lastLine: 9, program: nil, pid: nil, signal: nil,
                detail: "analysis_tricore_cs.c:1021:14"),
        ]),
    CorpusCase(
        file: "25-glibc-free-invalid-pointer-dino.log",
        blocks: [
            ExpectedBlock(
                kind: "glibc-abort", firstLine: 9, lastLine: 11, program: "dino", pid: "2527336",
                signal: "SIGABRT", detail: "free(): invalid pointer")
        ]),
    CorpusCase(
        file: "27-cxx-terminate-papara.log",
        blocks: [
            ExpectedBlock(
                kind: "cxx-terminate", firstLine: 4, lastLine: 6, program: "papara_static_x86_64",
                pid: "8051", signal: "SIGABRT", exception: "std::runtime_error",
                detail: "n1.back != null")
        ]),
    CorpusCase(
        file: "29-unit-segv-forked-daapd.log",
        blocks: [
            ExpectedBlock(
                kind: "systemd-unit", firstLine: 7, lastLine: 10, program: "forked-daapd", pid: nil,
                signal: "11/SEGV", detail: "Main process exited, code=dumped, status=11/SEGV")
        ]),
    CorpusCase(
        file: "34-node-eaddrinuse-polis.log",
        blocks: [
            ExpectedBlock(
                kind: "node", firstLine: 3, lastLine: 14, program: nil, pid: nil, signal: nil,
                exception: "Error", detail: "Object.exports._errnoException (util.js:953:11)")
        ]),
]

@Suite struct DetectCorpusTests {
    @Test func corpusTableCoversEveryLog() throws {
        let directory = DetectTestSupport.corpusDirectory
        let listed = Set(corpusCases.map(\.file))
        var found: Set<String> = []
        guard let handle = opendir(directory) else {
            Issue.record("cannot open \(directory)")
            return
        }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".log") { found.insert(name) }
        }
        #expect(found == listed)
    }

    @Test(arguments: corpusCases)
    func corpusLogMatchesMeta(_ corpusCase: CorpusCase) throws {
        let lines = try DetectTestSupport.readCorpusLog(corpusCase.file)
        let detections = try DetectTestSupport.detect(lines)
        #expect(detections.count == corpusCase.blocks.count)
        for (detection, expected) in zip(detections, corpusCase.blocks) {
            check(detection, expected, lines: lines)
        }
    }

    private func check(_ detection: Detection, _ expected: ExpectedBlock, lines: [String]) {
        let captures = detection.captures
        #expect(captures["kind"] == expected.kind)
        #expect(detection.firstRecordID == "\(expected.firstLine)")
        #expect(detection.lines.first == lines[expected.firstLine - 1])
        #expect(detection.lines.last == lines[expected.lastLine - 1])
        #expect(detection.lines.count == expected.lastLine - expected.firstLine + 1)
        #expect(captures["program"] == expected.program)
        #expect(captures["pid"] == expected.pid)
        #expect(captures["signal"] == expected.signal)
        if let exception = expected.exception {
            #expect(captures["exception"]?.contains(exception) == true, "\(captures)")
        }
        if let detail = expected.detail {
            let text = (captures["top_frame"] ?? "") + "\n" + (captures["message"] ?? "")
            #expect(text.contains(detail), "\(captures)")
        }
        #expect(!detection.fingerprint.isEmpty)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
