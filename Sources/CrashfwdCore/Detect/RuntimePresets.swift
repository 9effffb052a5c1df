/// Presets for crashes that language runtimes and libraries print on standard error.
extension Presets {
    /// The lines a shell prints after a crashed job (`[1]  8051 abort (core dumped)  cmd`,
    /// `Aborted (core dumped)`), and glibc's backtrace and memory map, as regex alternatives.
    /// The job line names the pid and the program (the command's base name, after any
    /// `env VAR=value` words).
    static let shellStatusAlternatives =
        #"\[\d+\]\s+(?<pid>\d+) (?:abort|segmentation fault|bus error|illegal hardware instruction"#
        + #"|floating point exception|IOT instruction|killed)(?: \(core dumped\))?\s+(?:env )?"#
        + #"(?:\S+=\S+ )*(?:\S*/)?(?<program>[^\s/|]+).*|\s+\d+ (?:done|running|exit \d+|suspended)\s.*"#
        + #"|\S+: line \d+: +(?<pid>\d+) (?:Aborted|Segmentation fault)(?: \(core dumped\))?"#
        + #" +(?:\S*/)?(?<program>[^\s/]+).*|Aborted(?: \(core dumped\))?|Abort trap: \d+"#
        + #"|Segmentation fault(?: \(core dumped\))?|======= (?:Backtrace|Memory map): =+"#
        + #"|\S+\(\+0x[0-9a-f]+\)\[0x[0-9a-f]+\]|\S+\[0x[0-9a-f]+\]|[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] .*"#

    // Python ends a traceback with exactly one exception line. A chained traceback
    // follows it only after one of the two header lines and a new `Traceback` line, so
    // the block ends at the exception line unless such a chain follows.
    static let python = MatcherConfig(
        name: "python", destination: "",
        start: #"^Traceback \(most recent call last\):\s*$"#,
        continuation: #"^(?:\s+(?<top_frame>File "[^"]*", line \d+, in \S+)\s*|\s+\S.*)$"#,
        end: #"^(?<exception>(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning|Interrupt|Exit"#
            + #"|Iteration|Timeout|Failure|Fault|Abort|Denied|NotFound|Exists))(?:: (?<message>.*))?$"#,
        chainHeader: #"^(?:During handling of the above exception, another exception occurred:"#
            + #"|The above exception was the direct cause of the following exception:)\s*$"#,
        programFromPrefix: true, lastCaptureWins: true,
        literals: ["Traceback (most recent call last)"])

    static let java = MatcherConfig(
        name: "java", destination: "",
        start: #"^(?:Exception in thread "(?<thread>[^"]*)" )?(?<exception>(?:[a-zA-Z_$][\w$]*\.)+"#
            + #"[A-Z][\w$]*(?:Exception|Error|Throwable))(?:: (?<message>.*))?$"#,
        continuation: #"^\s*(?:at (?<top_frame>[\w$.<>/-]+\([^)]*\)).*|at \S+\(.*|Caused by: .*"#
            + #"|Suppressed: .*|Wrapped by: .*|\.\.\. \d+ (?:more|common frames omitted).*)$"#,
        require: #"^\s*at \S+\("#, programFromPrefix: true,
        literals: ["Exception", "Error", "Throwable"])

    static let go = MatcherConfig(
        name: "go", destination: "",
        start: #"^(?:panic: (?<message>.*)|fatal error: (?<message>.*))$"#,
        continuation: #"^(?:\[signal (?<signal>SIG\w+)(?:: [^\]]*)?\].*|goroutine \d+ \[.*\]:.*"#
            + #"|(?<top_frame>(?!panic\(|runtime\.)[^\s:\[(][^\s:]*?)\([^()]*\)\s*"#
            + #"|[^\s:\[(][^\s:]*?\([^()]*\)\s*|\s+\S+:\d+(?:\s.*)?|created by .*|panic: .*|\[recovered\].*"#
            + #"|exit status \d+|runtime stack:.*|\.\.\.\s*\d*\s*(?:additional )?frames? elided.*)$"#,
        require: #"^goroutine \d+ \["#, programFromPrefix: true,
        literals: ["panic: ", "fatal error: "])

    // NOTE: Rust 1.73 and later print the panic message on the line after `panicked at
    // FILE:LINE:COL:`. That line has no recognisable form, so it is not part of the block
    // and `message` stays empty for that format.
    static let rust = MatcherConfig(
        name: "rust", destination: "",
        start:
            #"^thread '(?<thread>[^']*)' panicked at (?:'(?<message>.*)', (?<top_frame>\S+:\d+:\d+)"#
            + #"|(?<top_frame>\S+:\d+:\d+):?)\s*$"#,
        continuation: #"^(?:stack backtrace:|\s+\d+:\s+.*|\s+at \S.*|note: .*RUST_BACKTRACE.*)$"#,
        programFromPrefix: true, literals: ["' panicked at "])

    static let sanitizer = MatcherConfig(
        name: "sanitizer", destination: "",
        start:
            #"^(?:==(?<pid>\d+)==\s*ERROR: (?<exception>\w+Sanitizer): (?<message>(?:(?<signal>SEGV"#
            + #"|BUS|FPE|ILL|ABRT) on unknown address)?.*)|[A-Z]+:DEADLYSIGNAL"#
            + #"|WARNING: (?<exception>ThreadSanitizer): (?<message>.*)"#
            + #"|(?<top_frame>\S+:\d+:\d+): runtime error: (?<message>.*)|={10,})$"#,
        continuation:
            #"^(?:==(?<pid>\d+)==\s*ERROR: (?<exception>\w+Sanitizer): (?<message>(?:(?<signal>"#
            + #"SEGV|BUS|FPE|ILL|ABRT) on unknown address)?.*)|={10,}|==\d+==.*"#
            + #"|\s+#0 0x[0-9a-f]+ in (?<top_frame>.*)|\s.*|SUMMARY: .*|[a-z0-9]{2,3} = 0x.*"#
            + #"|\w+Sanitizer.*|0x[0-9a-f]+ is .*|(?:READ|WRITE) of size .*"#
            + #"|(?:freed|previously allocated|allocated) by thread .*|Thread T\d+.*|Shadow byte.*|=>.*"#
            + #"|(?:Direct|Indirect) leak of .*|Address 0x.*|HINT: .*)$"#,
        // LeakSanitizer prints no ABORTING line, so its leak summary ends the report.
        // NOTE: a ThreadSanitizer report has no end line, so an indented line right after
        // its closing `=====` line still joins the block.
        end: #"^(?:==\d+==ABORTING|SUMMARY: UndefinedBehaviorSanitizer: .*"#
            + #"|SUMMARY: (?:AddressSanitizer|LeakSanitizer): \d+ byte\(s\) leaked in .*)$"#,
        // A block opened by a separator line alone is not a report. A UBSan `SUMMARY:` line
        // ends the diagnostic before it, and one without a diagnostic starts no block.
        require: #"^(?:==\d+==\s*ERROR:|WARNING: ThreadSanitizer|\S+:\d+:\d+: runtime error:"#
            + #"|[A-Z]+:DEADLYSIGNAL)"#,
        programFromPrefix: true,
        literals: ["Sanitizer", "DEADLYSIGNAL", "runtime error: ", "=========="])

    static let glibcAbort = MatcherConfig(
        name: "glibc-abort", destination: "",
        start: #"^(?:\*\*\* Error in `(?<program>[^']*)': (?<message>.*?)(?:: 0x[0-9a-f]+)? \*\*\*"#
            + #"|\*\*\* (?<message>stack smashing detected|buffer overflow detected) \*\*\*.*"#
            + #"|(?<message>(?:free|malloc|realloc|calloc|munmap_chunk|malloc_consolidate|_int_free"#
            + #"|_int_malloc|_int_realloc|tcache_thread_shutdown)\(\): .*|double free or corruption.*"#
            + #"|corrupted size vs\. prev_size.*|corrupted double-linked list.*|Fatal glibc error: .*))$"#,
        fields: [(key: "signal", value: "SIGABRT")],
        continuation: "^(?:" + shellStatusAlternatives + ")$", programFromPrefix: true,
        literals: [
            "free(): ", "malloc(): ", "realloc(): ", "calloc(): ", "munmap_chunk(): ",
            "malloc_consolidate(): ", "_int_free(): ", "_int_malloc(): ", "_int_realloc(): ",
            "tcache_thread_shutdown(): ", "stack smashing detected", "buffer overflow detected",
            "double free or corruption",
            "corrupted size vs", "corrupted double-linked", "Error in `", "Fatal glibc error",
        ])

    static let cxxTerminate = MatcherConfig(
        name: "cxx-terminate", destination: "",
        start: #"^terminate called (?:after throwing an instance of '(?<exception>[^']+)'"#
            + #"|recursively|without an active exception).*$"#,
        fields: [(key: "signal", value: "SIGABRT")],
        continuation: #"^(?:\s+what\(\):\s+(?<message>.*)|"# + shellStatusAlternatives + ")$",
        programFromPrefix: true, literals: ["terminate called"])

    static let node = MatcherConfig(
        name: "node", destination: "",
        start: #"^(?<location>(?:node:[\w/]+|[^\s:]+\.(?:js|mjs|cjs|ts)):\d+)\s*$"#,
        continuation: #"^(?:\s+at (?<top_frame>.+)|\s.*|\^+|(?<exception>(?:[A-Z][A-Za-z]*)?"#
            + #"(?:Error|Exception))(?:: (?<message>.*))?|Uncaught .*|Thrown at:.*"#
            + #"|Emitted 'error' event .*|\[[A-Za-z]+(?::[^\]]*)?\].*|\}|\{.*)$"#,
        end: #"^Node\.js v[\d.]+\s*$"#, require: #"^(?:\s+at \S|\[UnhandledPromiseRejection)"#,
        programFromPrefix: true, literals: [".js:", ".mjs:", ".cjs:", ".ts:", "node:"])
}
