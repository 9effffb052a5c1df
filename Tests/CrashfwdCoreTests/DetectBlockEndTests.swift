import CrashfwdCore
import Testing

/// A preset's crash followed by one ordinary line that the block must not absorb.
struct TrailingLineCase: Sendable, CustomStringConvertible {
    var sample: PresetSample
    var trailingLine: String
    var description: String { "\(sample.preset): \(trailingLine)" }
}

/// Lines a program or the kernel may write right after a crash report. Some start like a
/// line of the report (`at `, `note: `, an exception name, an indented line) to catch
/// continuation patterns that accept too much.
let trailingLines: [String: [String]] = [
    "systemd-coredump": ["Started Session 5 of user alice."],
    "kernel-oops": ["usb 1-1: new high-speed USB device number 2 using xhci_hcd"],
    "kernel-panic": ["usb 1-1: new high-speed USB device number 2 using xhci_hcd"],
    "segfault": ["usb 1-1: new high-speed USB device number 2 using xhci_hcd"],
    "oom-kill": ["usb 1-1: new high-speed USB device number 2 using xhci_hcd"],
    "systemd-unit": ["Started Session 5 of user alice."],
    "python": [
        "ValueError: unrelated later log message", "INFO worker restarted",
        "    indented status line",
    ],
    "java": [
        "INFO com.example.App - restarting", "at most 3 retries left",
        "java.io.IOException: unrelated later log message",
    ],
    "go": ["2024/06/20 09:18:03 server listening on :8080", "    indented status line"],
    "rust": ["INFO server restarted", "note: configuration reloaded"],
    "sanitizer": ["INFO worker restarted", "    indented status line"],
    "glibc-abort": ["Started Session 5 of user alice."],
    "cxx-terminate": ["Started Session 5 of user alice."],
    "node": ["Started Session 5 of user alice."],
]

/// UBSan, LeakSanitizer and a Python traceback without a chain, which the preset samples
/// do not cover.
let extraTrailingSamples: [PresetSample] = [
    PresetSample(
        preset: "sanitizer", tag: "myapp[4242]",
        lines: [
            "src/app.c:12:7: runtime error: signed integer overflow: 2147483647 + 1 cannot be"
                + " represented in type 'int'",
            "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior src/app.c:12:7 in",
        ], cutAfter: 1, captures: ["top_frame": "src/app.c:12:7"]),
    PresetSample(
        preset: "sanitizer", tag: "myapp[4242]",
        lines: [
            "=================================================================",
            "==4242==ERROR: LeakSanitizer: detected memory leaks", "",
            "Direct leak of 7 byte(s) in 1 object(s) allocated from:",
            "    #0 0x4af01b in __interceptor_malloc /src/asan_malloc_linux.cc:52:3",
            "    #1 0x4da26a in main /src/app.c:4:7", "",
            "SUMMARY: AddressSanitizer: 7 byte(s) leaked in 1 allocation(s).",
        ], cutAfter: 2,
        captures: ["pid": "4242", "exception": "LeakSanitizer"]),
    PresetSample(
        preset: "python", tag: "myapp[77]",
        lines: [
            "Traceback (most recent call last):", "  File \"/srv/app/job.py\", line 3, in run",
            "    data[\"x\"]", "KeyError: 'x'",
        ], cutAfter: 2,
        captures: [
            "exception": "KeyError", "message": "'x'",
            "top_frame": "File \"/srv/app/job.py\", line 3, in run",
        ]),
]

let trailingLineCases: [TrailingLineCase] = (presetSamples + extraTrailingSamples).flatMap {
    sample in
    (trailingLines[sample.preset] ?? []).map {
        TrailingLineCase(sample: sample, trailingLine: $0)
    }
}

@Suite struct DetectBlockEndTests {
    @Test func everyPresetHasTrailingLine() {
        for name in Presets.names {
            #expect(trailingLines[name]?.isEmpty == false, "\(name)")
        }
    }

    @Test(arguments: trailingLineCases)
    func blockExcludesTrailingLine(_ testCase: TrailingLineCase) throws {
        let sample = testCase.sample
        let alone = try DetectTestSupport.detect(sample.lines)
        let followed = try DetectTestSupport.detect(sample.lines + [testCase.trailingLine])
        try #require(alone.count == 1, "\(alone.map(\.lines))")
        try #require(followed.count == 1, "\(followed.map(\.lines))")
        #expect(followed[0].lines == sample.lines)
        #expect(followed[0].captures == alone[0].captures)
        #expect(followed[0].fingerprint == alone[0].fingerprint)
        for (name, value) in sample.captures {
            #expect(followed[0].captures[name]?.contains(value) == true, "\(name)")
        }
    }

    @Test(arguments: trailingLineCases)
    func prefixedBlockExcludesTrailingLine(_ testCase: TrailingLineCase) throws {
        let sample = testCase.sample
        let prefix = "Jun 20 09:18:02 host01 \(sample.tag): "
        let crash = sample.lines.map { prefix + $0 }
        let alone = try DetectTestSupport.detect(crash)
        let followed = try DetectTestSupport.detect(crash + [prefix + testCase.trailingLine])
        try #require(alone.count == 1, "\(alone.map(\.lines))")
        try #require(followed.count == 1, "\(followed.map(\.lines))")
        #expect(followed[0].lines == crash)
        #expect(followed[0].captures == alone[0].captures)
        #expect(followed[0].fingerprint == alone[0].fingerprint)
    }
}

@Suite struct DetectPythonBlockEndTests {
    let keyError = [
        "Traceback (most recent call last):", "  File \"/srv/app/job.py\", line 3, in run",
        "    data[\"x\"]", "KeyError: 'x'",
    ]
    let chained = [
        "Traceback (most recent call last):", "  File \"/srv/app/db.py\", line 10, in connect",
        "    raise OSError(\"no route\")", "OSError: no route", "",
        "The above exception was the direct cause of the following exception:", "",
        "Traceback (most recent call last):", "  File \"/srv/app/main.py\", line 5, in <module>",
        "    connect()", "KeyboardInterrupt",
    ]

    @Test func corpusPythonThenJavaAreTwoCrashes() throws {
        let python = try DetectTestSupport.readCorpusLog(
            "14-python-chained-direct-cause-django.log")
        let java = try DetectTestSupport.readCorpusLog("16-java-caused-by-android.log")
        let detections = try DetectTestSupport.detect(python + java)
        try #require(detections.count == 2, "\(detections.map(\.lines))")
        #expect(detections[0].captures["kind"] == "python")
        #expect(detections[0].captures["exception"] == "ImportError")
        #expect(detections[0].lines == Array(python[1...]))
        #expect(detections[1].captures["kind"] == "java")
        #expect(detections[1].captures["exception"] == "java.lang.RuntimeException")
        #expect(detections[1].lines == java)
    }

    @Test func laterExceptionLineIsNotAbsorbed() throws {
        let later = "ValueError: unrelated later log message"
        let alone = try DetectTestSupport.detect(keyError)
        let followed = try DetectTestSupport.detect(keyError + [later])
        try #require(alone.count == 1)
        try #require(followed.count == 1)
        #expect(followed[0].lines == keyError)
        #expect(followed[0].captures["exception"] == "KeyError")
        #expect(followed[0].captures["message"] == "'x'")
        #expect(followed[0].fingerprint == alone[0].fingerprint)
    }

    @Test func chainCapturesComeFromLastException() throws {
        let detections = try DetectTestSupport.detect(chained + ["ValueError: later message"])
        try #require(detections.count == 1, "\(detections.map(\.lines))")
        #expect(detections[0].lines == chained)
        #expect(detections[0].captures["exception"] == "KeyboardInterrupt")
        #expect(detections[0].captures["message"] == nil)
        #expect(
            detections[0].captures["top_frame"] == "File \"/srv/app/main.py\", line 5, in <module>")
    }

    @Test func chainWithoutBlankLinesIsOneBlock() throws {
        let compact = chained.filter { !$0.isEmpty }
        let detections = try DetectTestSupport.detect(compact)
        try #require(detections.count == 1, "\(detections.map(\.lines))")
        #expect(detections[0].lines == compact)
        #expect(detections[0].captures["exception"] == "KeyboardInterrupt")
    }

    @Test func headerWithoutTracebackEndsBlock() throws {
        let header = "During handling of the above exception, another exception occurred:"
        let detections = try DetectTestSupport.detect(
            keyError + ["", header, "", "INFO worker restarted"])
        try #require(detections.count == 1, "\(detections.map(\.lines))")
        #expect(detections[0].lines == keyError)
        #expect(detections[0].captures["exception"] == "KeyError")
    }

    @Test func consecutiveTracebacksAreTwoCrashes() throws {
        let detections = try DetectTestSupport.detect(keyError + keyError)
        try #require(detections.count == 2, "\(detections.map(\.lines))")
        #expect(detections[0].lines == keyError)
        #expect(detections[1].lines == keyError)
        #expect(detections[1].firstRecordID == "5")
    }

    @Test func prefixedChainIgnoresInterleavedProgram() throws {
        let prefix = "Jun 20 09:18:02 host01 "
        var lines: [String] = []
        var crash: [String] = []
        for (index, line) in chained.enumerated() {
            crash.append("\(prefix)myapp[77]: \(line)")
            lines.append(crash[index])
            lines.append("\(prefix)chatty[200]: ValueError: chatty line \(index)")
        }
        let later = "\(prefix)myapp[77]: ValueError: unrelated later log message"
        let detections = try DetectTestSupport.detect(lines + [later])
        try #require(detections.count == 1, "\(detections.map(\.lines))")
        #expect(detections[0].lines == crash)
        #expect(detections[0].captures["exception"] == "KeyboardInterrupt")
        #expect(detections[0].captures["program"] == "myapp")
        #expect(detections[0].captures["pid"] == "77")
    }
}

@Suite struct DetectSanitizerSummaryTests {
    let diagnostic = [
        "src/app.c:12:7: runtime error: signed integer overflow: 2147483647 + 1 cannot be"
            + " represented in type 'int'",
        "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior src/app.c:12:7 in",
    ]
    let loneSummary = "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior src/op.c:105:4 in"

    @Test func loneSummaryStartsNoBlock() throws {
        let detections = try DetectTestSupport.detect(noiseLines + [loneSummary] + noiseLines)
        #expect(detections.isEmpty, "\(detections.map(\.lines))")
    }

    @Test func summaryAfterSummaryIsDropped() throws {
        let detections = try DetectTestSupport.detect(diagnostic + [loneSummary] + diagnostic)
        try #require(detections.count == 2, "\(detections.map(\.lines))")
        #expect(detections[0].lines == diagnostic)
        #expect(detections[1].lines == diagnostic)
        #expect(detections[1].firstRecordID == "4")
        #expect(detections[0].captures["top_frame"] == "src/app.c:12:7")
    }
}
