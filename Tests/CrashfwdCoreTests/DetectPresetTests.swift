import CrashfwdCore
import Testing

/// A typical crash of one preset, as bare message lines, with what it must capture.
struct PresetSample: Sendable, CustomStringConvertible {
    var preset: String
    /// The syslog program tag the crash is logged under when it is given a prefix.
    var tag: String
    var lines: [String]
    /// How many leading lines still form a reportable crash when the file ends there.
    var cutAfter: Int
    var captures: [String: String]
    var description: String { preset }
}

let presetSamples: [PresetSample] = [
    PresetSample(
        preset: "systemd-coredump", tag: "systemd-coredump[900]",
        lines: [
            "Process 1234 (myapp) of user 1000 dumped core.", "",
            "Stack trace of thread 1234:",
            "#0  0x00007f3a1b2c3d4e raise (libc.so.6 + 0x3d4e)",
            "#1  0x00007f3a1b2c1234 abort (libc.so.6 + 0x1234)",
        ], cutAfter: 3, captures: ["program": "myapp", "pid": "1234"]),
    PresetSample(
        preset: "kernel-oops", tag: "kernel",
        lines: [
            "BUG: kernel NULL pointer dereference, address: 0000000000000008",
            "#PF: supervisor read access in kernel mode", "PGD 0 P4D 0",
            "Oops: 0000 [#1] PREEMPT SMP NOPTI",
            "CPU: 3 PID: 4242 Comm: myapp Tainted: G           O      6.1.0-18-amd64 #1",
            "RIP: 0010:mydrv_ioctl+0x2a/0x90 [mydrv]",
            "RSP: 0018:ffffb3c0c1f3fd98 EFLAGS: 00010246", "Call Trace:", " <TASK>",
            " ? __die+0x23/0x70", " </TASK>", "---[ end trace 0000000000000000 ]---",
        ], cutAfter: 6,
        captures: ["program": "myapp", "pid": "4242", "top_frame": "mydrv_ioctl+0x2a/0x90"]),
    PresetSample(
        preset: "kernel-panic", tag: "kernel",
        lines: [
            "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)",
            "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0 #1", "Call Trace:", " <TASK>",
            " dump_stack_lvl+0x44/0x5c", " panic+0x118/0x2f3", " </TASK>",
            "---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---",
        ], cutAfter: 3, captures: ["program": "swapper/0", "pid": "1"]),
    PresetSample(
        preset: "segfault", tag: "kernel",
        lines: [
            "myapp[4321]: segfault at 0 ip 000055d0c0ffee12 sp 00007ffc12345678 error 4 in"
                + " myapp[55d0c0fe0000+20000] likely on CPU 1 (core 1, socket 0)",
            "Code: 48 8b 07 c3 0f 1f 44 00 00",
        ], cutAfter: 1, captures: ["program": "myapp", "pid": "4321", "signal": "SIGSEGV"]),
    PresetSample(
        preset: "oom-kill", tag: "kernel",
        lines: [
            "pool invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0",
            "CPU: 1 PID: 998 Comm: pool Not tainted 6.1.0 #1", "Mem-Info:",
            "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,"
                + "task_memcg=/system.slice/myapp.service,task=myapp,pid=999,uid=0",
            "Out of memory: Killed process 999 (myapp) total-vm:8123456kB, anon-rss:7000000kB,"
                + " file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:14000kB oom_score_adj:0",
            "oom_reaper: reaped process 999 (myapp), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
        ], cutAfter: 5, captures: ["program": "myapp", "pid": "999", "signal": "SIGKILL"]),
    PresetSample(
        preset: "systemd-unit", tag: "systemd[1]",
        lines: [
            "myapp.service: Main process exited, code=dumped, status=6/ABRT",
            "myapp.service: Failed with result 'core-dump'.",
        ], cutAfter: 1, captures: ["program": "myapp", "signal": "6/ABRT"]),
    PresetSample(
        preset: "python", tag: "myapp[77]",
        lines: [
            "Traceback (most recent call last):", "  File \"/srv/app/db.py\", line 10, in connect",
            "    raise OSError(\"no route\")", "OSError: no route", "",
            "During handling of the above exception, another exception occurred:", "",
            "Traceback (most recent call last):",
            "  File \"/srv/app/main.py\", line 5, in <module>",
            "    connect()", "app.errors.DatabaseError: database unavailable",
        ], cutAfter: 3,
        captures: [
            "exception": "app.errors.DatabaseError", "message": "database unavailable",
            "top_frame": "File \"/srv/app/main.py\", line 5, in <module>",
        ]),
    PresetSample(
        preset: "java", tag: "myapp[77]",
        lines: [
            "Exception in thread \"main\" java.lang.IllegalStateException: boom",
            "\tat com.example.App.run(App.java:42)", "\tat com.example.App.main(App.java:10)",
            "Caused by: java.io.IOException: disk full",
            "\tat com.example.Store.write(Store.java:7)",
            "\t... 2 more",
        ], cutAfter: 2,
        captures: [
            "exception": "java.lang.IllegalStateException", "message": "boom",
            "top_frame": "com.example.App.run(App.java:42)",
        ]),
    PresetSample(
        preset: "go", tag: "myapp[77]",
        lines: [
            "panic: runtime error: index out of range [5] with length 3", "",
            "goroutine 1 [running]:", "main.lookup(...)", "\t/src/app/main.go:12", "main.main()",
            "\t/src/app/main.go:20 +0x1d", "exit status 2",
        ], cutAfter: 4, captures: ["top_frame": "main.lookup"]),
    PresetSample(
        preset: "rust", tag: "myapp[77]",
        lines: [
            "thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 5', src/main.rs:4:5",
            "stack backtrace:", "   0: rust_begin_unwind",
            "             at /rustc/abc/library/std/src/panicking.rs:578:5", "   1: app::main",
            "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.",
        ], cutAfter: 2, captures: ["top_frame": "src/main.rs:4:5"]),
    PresetSample(
        preset: "sanitizer", tag: "myapp[4242]",
        lines: [
            "=================================================================",
            "==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc"
                + " 0x55a4c0 bp 0x7ffd0 sp 0x7ffd8",
            "READ of size 4 at 0x602000000010 thread T0",
            "    #0 0x55a4c0 in use_after_free /src/app.c:12", "    #1 0x7f0 in main /src/app.c:20",
            "", "SUMMARY: AddressSanitizer: heap-use-after-free /src/app.c:12 in use_after_free",
            "==4242==ABORTING",
        ], cutAfter: 4,
        captures: [
            "pid": "4242", "exception": "AddressSanitizer",
            "top_frame": "use_after_free /src/app.c:12",
        ]),
    PresetSample(
        preset: "glibc-abort", tag: "myapp[4242]",
        lines: ["free(): double free detected in tcache 2", "Aborted (core dumped)"], cutAfter: 1,
        captures: ["message": "free(): double free detected in tcache 2", "signal": "SIGABRT"]),
    PresetSample(
        preset: "cxx-terminate", tag: "myapp[4242]",
        lines: [
            "terminate called after throwing an instance of 'std::out_of_range'",
            "  what():  vector::_M_range_check: __n (which is 5) >= this->size() (which is 3)",
            "Aborted (core dumped)",
        ], cutAfter: 2, captures: ["exception": "std::out_of_range", "signal": "SIGABRT"]),
    PresetSample(
        preset: "node", tag: "node[4242]",
        lines: [
            "/srv/app/server.js:27", "    throw new Error('boom');", "    ^", "", "Error: boom",
            "    at Object.<anonymous> (/srv/app/server.js:27:11)",
            "    at Module._compile (node:internal/modules/cjs/loader:1256:14)", "",
            "Node.js v18.19.0",
        ], cutAfter: 6,
        captures: [
            "exception": "Error", "message": "boom",
            "top_frame": "Object.<anonymous> (/srv/app/server.js:27:11)",
        ]),
]

/// Ordinary lines that mention errors and panics without being crashes.
let noiseLines = [
    "==================================",
    "Started Session 5 of user alice.",
    "usb 1-1: device descriptor read/64, error -71",
    "worker: caught exception in handler, continuing",
    "panic button pressed by user; nothing to do",
    "EXT4-fs error count since last fsck: 0",
    "java.io.IOException: connection reset by peer",
    "panic: this is only a log message without a goroutine dump",
    "myapp.service: Main process exited, code=exited, status=1/FAILURE",
    "other.service: Main process exited, code=killed, status=15/TERM",
    "Error: retrying in 5 seconds",
]

@Suite struct DetectPresetTests {
    @Test(arguments: presetSamples)
    func presetFindsCrashInNoise(_ sample: PresetSample) throws {
        let lines = noiseLines + sample.lines + noiseLines
        let detections = try DetectTestSupport.detect(lines)
        try #require(detections.count == 1, "\(detections.map(\.lines))")
        check(detections[0], sample, expectedLines: sample.lines)
    }

    @Test(arguments: presetSamples)
    func presetSeparatesInterleavedProgram(_ sample: PresetSample) throws {
        let prefix = "Jun 20 09:18:02 host01 "
        let crash = sample.lines.map { "\(prefix)\(sample.tag): \($0)" }
        var lines: [String] = []
        for (index, line) in crash.enumerated() {
            lines.append(line)
            lines.append("\(prefix)chatty[200]: progress \(index): all good")
        }
        let detections = try DetectTestSupport.detect(lines)
        try #require(detections.count == 1, "\(detections.map(\.lines))")
        check(detections[0], sample, expectedLines: crash)
    }

    @Test(arguments: presetSamples)
    func presetReportsCrashCutAtEndOfFile(_ sample: PresetSample) throws {
        let keptLines = Array(sample.lines.prefix(sample.cutAfter))
        let detections = try DetectTestSupport.detect(noiseLines + keptLines)
        try #require(detections.count == 1, "\(detections.map(\.lines))")
        #expect(detections[0].captures["kind"] == sample.preset)
        #expect(detections[0].lines == keptLines.reversed().drop { $0.isEmpty }.reversed())
    }

    private func check(_ detection: Detection, _ sample: PresetSample, expectedLines: [String]) {
        #expect(detection.captures["kind"] == sample.preset)
        #expect(detection.lines == expectedLines)
        for (name, value) in sample.captures {
            #expect(
                detection.captures[name]?.contains(value) == true, "\(name): \(detection.captures)")
        }
    }

    @Test func ordinaryLogHasNoCrashes() throws {
        var generator = SplitMix(seed: 7)
        var lines: [String] = []
        for index in 0..<5000 {
            let noise = noiseLines[Int(generator.next() % UInt64(noiseLines.count))]
            lines.append("Jun 20 09:18:02 host01 app\(index % 7)[\(100 + index % 7)]: \(noise)")
        }
        let detections = try DetectTestSupport.detect(lines + noiseLines)
        #expect(detections.isEmpty, "\(detections.map(\.lines))")
    }
}

/// A small deterministic random number generator for generated test input.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
