/// Presets for crashes reported by the kernel and by systemd.
extension Presets {
    /// Lines of a kernel oops or panic report after its first line: registers, module
    /// list, stack dump, call trace and the end marker, on x86, x86-64 and arm64. The
    /// capturing alternatives come first so they win over the generic ones.
    static let kernelReportLine =
        #"^(?:CPU: \d+ (?:UID: \d+ )?PID: (?<pid>\d+) Comm: (?<program>\S+).*"#
        + #"|Pid: (?<pid>\d+), comm: (?<program>\S+).*"#
        + #"|Process (?<program>\S+) \(pid: (?<pid>\d+).*"#
        + #"|(?:EIP is at |RIP: [0-9a-f]{4}:|IP: \[<[0-9a-f]+>\] |pc : |PC is at )(?<top_frame>\S+).*"#
        + #"|(?<exception>Oops: [0-9a-f]+ \[#\d+\]).*"#
        + #"|\s*(?:\[<[0-9a-f]+>\] )?(?:\? )?(?<top_frame>[\w.]+\+0x[0-9a-f]+/0x[0-9a-f]+).*"#
        + #"|\s.*|Oops.*|BUG:.*|WARNING:.*|Unable to handle .*|Hardware name:.*|Modules linked in:.*"#
        + #"|Workqueue:.*|task:.*|Stack:.*|Call [Tt]race:.*|</?[A-Z]+>.*|\[<[0-9a-f]+>\].*|\? .*"#
        + #"|(?:RIP|RSP|RAX|RBX|RCX|RDX|RBP|RSI|RDI|R\d+|FS|GS|CS|DS|ES|CR2|DR\d|EIP|EAX|EBX|ECX|EDX"#
        + #"|ESI|EDI|EBP|ESP|EFLAGS|IP)\s?:.*|\*p[gmu4]?de.*|\*pte.*|(?:PGD|P4D|PUD|PMD) .*|Code:.*"#
        + #"|Kernel panic.*|Kernel Offset:.*|Rebooting in.*|SMP:.*|(?:pc|lr|sp) :.*|x\d+\s*:.*"#
        + #"|pstate:.*|Internal error:.*|(?:Mem|Data) abort info:.*|(?:ESR|EC|SET|FnV|EA|ISV|CM|WnR) =.*"#
        + #"|\[[0-9a-f]+\] (?:pgd|user address).*|Tainted:.*|irq event stamp:.*|(?:hard|soft)irqs .*"#
        + #"|note: .*|Fixing recursive fault.*|Dumping ftrace.*|---\[ end.*|=+\s*|EIP is at.*|#PF: .*"#
        + #"|invalid opcode:.*|general protection fault.*|PKRU:.*|(?:LR|PC) is at.*)$"#

    static let systemdCoredumpLine =
        #"^\s*(?:Signal: (?<signal>\d+ \(\w+\))|#0\s+(?<top_frame>\S.*)"#
        + #"|(?<message>Process \d+ \(.*\) of user \d+ dumped core\.)"#
        + #"|(?:Message|UID|GID|Timestamp|Command Line|Executable|Control Group|Unit|User Unit|Slice"#
        + #"|Session|Owner UID|Boot ID|Machine ID|Hostname|Storage|Disk Size|Package|build-id"#
        + #"|Size on Disk|Coredump|Cgroup): .*|#\d+\s.*|Stack trace of thread.*|Module .*"#
        + #"|ELF object binary.*|Coredump diverted.*|Found module.*|Thread \d+.*)$"#

    static let systemdCoredump: [MatcherConfig] = [
        MatcherConfig(
            name: "systemd-coredump", destination: "", journal: true,
            journalMatches: ["MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1"], start: nil,
            continuation: systemdCoredumpLine,
            journalCaptures: [
                (key: "program", value: "COREDUMP_COMM"), (key: "pid", value: "COREDUMP_PID"),
                (key: "signal", value: "COREDUMP_SIGNAL_NAME"),
                (key: "signal", value: "COREDUMP_SIGNAL"),
            ]),
        MatcherConfig(
            name: "systemd-coredump", destination: "",
            start: #"^\s*(?:PID: (?<pid>\d+) \((?<program>[^)]*)\)$"#
                + #"|(?<message>Process (?<pid>\d+) \((?<program>[^)]*)\) of user \d+ dumped core\.))"#,
            continuation: systemdCoredumpLine, literals: ["dumped core.", "PID: "]),
    ]

    static let kernelOops = MatcherConfig(
        name: "kernel-oops", destination: "",
        start:
            #"^(?<message>BUG: .*|Oops: .*|WARNING: CPU: \d+ PID: (?<pid>\d+) at (?<top_frame>\S+).*"#
            + #"|general protection fault.*|Unable to handle kernel .*|kernel BUG at .*)$"#,
        continuation: kernelReportLine, end: #"^---\[ end trace"#,
        literals: [
            "BUG: ", "Oops: ", "WARNING: CPU: ", "general protection fault",
            "Unable to handle kernel",
            "kernel BUG at",
        ])

    static let kernelPanic = MatcherConfig(
        name: "kernel-panic", destination: "",
        start: #"^Kernel panic - not syncing: ?(?<message>.*)$"#,
        continuation: kernelReportLine, end: #"^---\[ end Kernel panic"#)

    static let segfault = MatcherConfig(
        name: "segfault", destination: "",
        start:
            #"^(?:traps: )?(?:(?<program>[^\s\[\]]+)\[(?<pid>\d+)\]:? )?(?<message>(?:segfault at [0-9a-f]+"#
            + #" ip [0-9a-f]+ sp [0-9a-f]+ error \d+|(?:general protection fault|trap [\w ]+) ip:\S+ sp:\S+"#
            + #" error:\S+)(?: in (?<top_frame>[^\s\[]+\[[0-9a-f]+(?:\+[0-9a-f]+)?\]))?.*)$"#,
        fields: [(key: "signal", value: "SIGSEGV")], continuation: #"^Code: .*$"#,
        programFromPrefix: true, literals: ["segfault at ", "traps: "])

    static let oomKill = MatcherConfig(
        name: "oom-kill", destination: "",
        start:
            #"^(?:(?<invoker>\S+) invoked oom-killer: .*|(?<message>(?:Memory cgroup out of memory"#
            + #"|Out of memory): Kill(?:ed)? process (?<pid>\d+) \((?<program>[^)]*)\).*))$"#,
        fields: [(key: "signal", value: "SIGKILL")],
        continuation:
            #"^(?:(?<message>(?:Memory cgroup out of memory|Out of memory): Kill(?:ed)? process"#
            + #" (?<pid>\d+) \((?<program>[^)]*)\).*)|oom-kill:.*?task=(?<program>[^,]+),pid=(?<pid>\d+).*"#
            + #"|oom.*|Mem-Info:.*|active_anon.*|Node \d.*|lowmem_reserve.*|\d+ total pagecache.*"#
            + #"|\d+ pages.*|Swap cache.*|Free swap.*|Total swap.*|Tasks state.*|\[ *(?:pid|\d+) *\].*"#
            + #"|DMA.*|Normal.*|HighMem.*|Movable.*|Memory cgroup.*|memory:.*|swap:.*|kmem:.*"#
            + #"|Killed process.*|Out of memory.*|"# + String(kernelReportLine.dropFirst(4)),
        end: #"^oom_reaper: reaped process"#, lastCaptureWins: true,
        literals: ["invoked oom-killer", "out of memory: Kill", "Out of memory: Kill"])

    static let systemdUnit = MatcherConfig(
        name: "systemd-unit", destination: "",
        start:
            #"^(?<message>(?<unit>(?<program>[^\s:@]+)(?:@[^\s:]*)?\.(?:service|scope|socket|mount|swap)):"#
            + #" Main process exited, code=(?:dumped, status=(?<signal>\d+/\w+)|killed,"#
            + #" status=(?<signal>\d+/(?:SEGV|ABRT|BUS|FPE|ILL|TRAP|SYS))).*"#
            + #"|.*?(?:Process|process) (?<pid>\d+) \((?<program>[^)]+)\) (?:was )?killed by signal"#
            + #" (?<signal>(?:SIG)?(?:SEGV|ABRT|BUS|FPE|ILL|TRAP|SYS)|11|6|7|8|4|5)\b.*"#
            + #"|Caught <(?<signal>[A-Z]+)>, .*)$"#,
        continuation:
            #"^(?:\S+: (?:Unit entered failed state|Failed with result '(?<result>[^']+)'"#
            + #"|Consumed .*|Scheduled restart job.*|Triggering OnFailure=.*)|Stopped .*|Failed to start .*)"#,
        end: #"^\S+: Failed with result '"#, programFromPrefix: true,
        literals: ["Main process exited, code=", "killed by signal", "Caught <"])
}
