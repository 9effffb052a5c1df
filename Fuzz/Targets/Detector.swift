@testable import CrashfwdCore

/// Feeds each input line to a detector with matchers like the shipped examples and every
/// preset, then scrubs and renders what it finds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDetector(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // A fresh detector per input, so one input's open blocks cannot affect the next.
    let detector = FuzzDetector.makeDetector()
    var now = 0.0
    var sequence: UInt64 = 0
    for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
        sequence += 1
        now += 0.5
        let text = String(decoding: UnsafeBufferPointer(rebasing: line), as: UTF8.self)
        let record = LogRecord(
            source: "file:/var/log/app.log", stream: "file:/var/log/app.log", text: text,
            fields: sequence % 3 == 0 ? ["COREDUMP_ENVIRON": text, "MESSAGE": text] : [:],
            position: RecordPosition(
                sequence: sequence, id: "1:2:\(sequence)", resume: "\(sequence)"),
            timestamp: sequence)
        for detection in detector.process(record, now: now) + detector.flushExpired(now: now) {
            FuzzDetector.render(detection)
        }
    }
    for detection in detector.flushAll() { FuzzDetector.render(detection) }
    return 0
}

enum FuzzDetector {
    static func makeDetector() -> Detector {
        let matchers = [
            MatcherConfig(
                name: "segfault", destination: "main",
                start: #"(?<program>[\w.-]+)\[(?<pid>\d+)\]: segfault at (?<address>[0-9a-f]+)"#,
                contextBefore: 2, contextAfter: 3, fields: [(key: "signal", value: "SIGSEGV")]),
            MatcherConfig(
                name: "panic", destination: "main",
                start: #"panicked at '(?<message>.*)', (?<location>\S+)"#,
                contextAfter: 1),
            MatcherConfig(name: "abort", destination: "main", start: #"(?i)\babort(ed)?\b"#),
        ]
        let presets = Presets.matchers(named: ["all"], destination: "main").matchers
        do {
            return try Detector(matchers: matchers + presets, flushTimeout: 1)
        } catch {
            fatalError("fuzz matchers do not compile: \(error)")
        }
    }

    static let renderer: ReportRenderer = {
        let parameters = [
            "{{program}} {{signal}}", "{{context}}",
            "{{journal.MESSAGE}} {{line | oneline | truncate: 40}}",
        ]
        .enumerated().compactMap { index, source in
            (try? Template(source)).map { ParameterSpec(name: "p\(index)", template: $0) }
        }
        let destination = DestinationConfig(
            name: "main", baseURL: "https://example.invalid", project: "p", source: "s",
            apiKey: "k",
            apiKeyOrigin: "fuzz", feedbackIDField: "id", hasDefaultSubmitter: true,
            parameters: parameters,
            allowPlainHTTP: false, timeout: 30, filePartName: "file")
        return ReportRenderer(
            destination: destination,
            device: DeviceFacts(hostname: "h", machineID: "m", bootID: "b", kernel: "k", os: "o"))
    }()

    static func render(_ detection: Detection) {
        let scrubbed = Scrubber.standard.scrub(detection)
        if scrubbed.journalFields["COREDUMP_ENVIRON"] != nil { fatalError("COREDUMP_ENVIRON kept") }
        guard let body = try? renderer.body(for: scrubbed, reportID: "r") else { return }
        guard case .object? = try? JSONCoding.decode(JSONValue.self, from: body) else {
            fatalError("rendered body is not a JSON object")
        }
    }
}
