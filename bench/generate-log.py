#!/usr/bin/env python3
"""Write a deterministic syslog-style log with rare embedded crashes, for bench/detect.sh.

Usage: generate-log.py SIZE_MB SEED OUT

The noise uses words such as error, panic and exception in harmless lines. About one
line in 5,000 starts a crash of one of the preset kinds. OUT.truth.json gets the number
of crashes of each kind, so a detector's output can be checked against it.
"""

import json
import random
import sys

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

# (weight, template). Ordinary lines dominate, and harmless lines that mention errors,
# panics and exceptions are rarer. Rarest are those with a capitalised Error or Exception,
# which the prefilter cannot tell from a crash: about 2.5% of all lines together.
NOISE = [
    (10, "sshd[{pid}]: Accepted publickey for user{n} from 10.0.{a}.{b} port {port} ssh2"),
    (10, "app[{pid}]: request {id} completed in {ms} ms"),
    (10, "CRON[{pid}]: (root) CMD (run-parts /etc/cron.hourly)"),
    (10, "systemd[1]: Started Session {n} of user alice."),
    (10, "NetworkManager[{pid}]: <info>  [{ts}] device (wlan0): state change: activated"),
    (10, "dbus-daemon[{pid}]: [system] Successfully activated service 'org.freedesktop.nm_dispatcher'"),
    (10, "kernel: EXT4-fs (sda1): mounted filesystem with ordered data mode. Quota mode: none."),
    (10, "app[{pid}]: GET /api/v1/items?page={n} 200 {ms}ms"),
    (10, "kernel: audit: type=1400 audit({ts}:{n}): apparmor=\"ALLOWED\" operation=\"open\" pid={pid}"),
    (4, "app[{pid}]: error: upstream timed out, retrying ({small}/5)"),
    (4, "app[{pid}]: no panic, queue drained after {n} items"),
    (4, "worker[{pid}]: caught exception in handler {id}, continuing"),
    (4, "kernel: usb 1-{small}: device descriptor read/64, error -71"),
    (4, "app[{pid}]: panic mode disabled by config"),
    (4, "backup[{pid}]: copied {n} files, 0 errors, 0 panics"),
    (2, "systemd[1]: batch.service: Main process exited, code=exited, status=1/FAILURE"),
    (2, "systemd[1]: web.service: Main process exited, code=killed, status=15/TERM"),
    (1, "app[{pid}]: Exception count for the last hour: {n}"),
    (1, "app[{pid}]: java.io.IOException: connection reset by peer (retrying)"),
    (1, "app[{pid}]: Error: cache miss for key {id}"),
]

CRASHES = {
    "systemd-coredump": ("systemd-coredump[{pid}]", [
        "Process {pid2} (myapp) of user 1000 dumped core.", "",
        "Stack trace of thread {pid2}:",
        "#0  0x00007f3a1b2c3d4e raise (libc.so.6 + 0x3d4e)",
        "#1  0x00007f3a1b2c1234 abort (libc.so.6 + 0x1234)",
    ]),
    "kernel-oops": ("kernel", [
        "BUG: kernel NULL pointer dereference, address: 0000000000000008",
        "#PF: supervisor read access in kernel mode",
        "Oops: 0000 [#1] PREEMPT SMP NOPTI",
        "CPU: 3 PID: {pid} Comm: myapp Tainted: G           O      6.1.0-18-amd64 #1",
        "RIP: 0010:mydrv_ioctl+0x2a/0x90 [mydrv]",
        "Call Trace:", " <TASK>", " ? __die+0x23/0x70", " </TASK>",
        "---[ end trace 0000000000000000 ]---",
    ]),
    "kernel-panic": ("kernel", [
        "Kernel panic - not syncing: Fatal exception in interrupt",
        "CPU: 0 PID: 0 Comm: swapper/0 Tainted: G      D           6.1.0 #1",
        "Call Trace:", " dump_stack_lvl+0x44/0x5c", " panic+0x118/0x2f3",
        "---[ end Kernel panic - not syncing: Fatal exception in interrupt ]---",
    ]),
    "segfault": ("kernel", [
        "myapp[{pid}]: segfault at 0 ip 000055d0c0ffee12 sp 00007ffc12345678 error 4 in"
        " myapp[55d0c0fe0000+20000] likely on CPU 1 (core 1, socket 0)",
    ]),
    "oom-kill": ("kernel", [
        "pool invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0",
        "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
        "global_oom,task_memcg=/system.slice/myapp.service,task=myapp,pid={pid},uid=0",
        "Out of memory: Killed process {pid} (myapp) total-vm:8123456kB, anon-rss:7000000kB,"
        " file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:14000kB oom_score_adj:0",
        "oom_reaper: reaped process {pid} (myapp), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
    ]),
    "systemd-unit": ("systemd[1]", [
        "myapp.service: Main process exited, code=dumped, status=11/SEGV",
        "myapp.service: Failed with result 'core-dump'.",
    ]),
    "python": ("pyapp[{pid}]", [
        "Traceback (most recent call last):",
        "  File \"/srv/app/main.py\", line {small}, in <module>",
        "    run()",
        "KeyError: 'user_id'",
    ]),
    "java": ("javaapp[{pid}]", [
        "Exception in thread \"main\" java.lang.IllegalStateException: boom",
        "\tat com.example.App.run(App.java:42)",
        "\tat com.example.App.main(App.java:10)",
    ]),
    "go": ("goapp[{pid}]", [
        "panic: runtime error: index out of range [5] with length 3", "",
        "goroutine 1 [running]:", "main.lookup(...)", "\t/src/app/main.go:12",
        "main.main()", "\t/src/app/main.go:20 +0x1d",
    ]),
    "rust": ("rsapp[{pid}]", [
        "thread 'main' panicked at 'index out of bounds: the len is 3 but the index is 5',"
        " src/main.rs:4:5",
        "stack backtrace:", "   0: rust_begin_unwind", "   1: rsapp::main",
    ]),
    "sanitizer": ("asanapp[{pid}]", [
        "=={pid}==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010",
        "READ of size 4 at 0x602000000010 thread T0",
        "    #0 0x55a4c0 in use_after_free /src/app.c:12",
        "SUMMARY: AddressSanitizer: heap-use-after-free /src/app.c:12 in use_after_free",
        "=={pid}==ABORTING",
    ]),
    "glibc-abort": ("capp[{pid}]", ["free(): invalid pointer", "Aborted (core dumped)"]),
    "cxx-terminate": ("cppapp[{pid}]", [
        "terminate called after throwing an instance of 'std::out_of_range'",
        "  what():  vector::_M_range_check: __n (which is 5) >= this->size() (which is 3)",
    ]),
    "node": ("node[{pid}]", [
        "/srv/app/server.js:27", "    throw new Error('boom');", "    ^", "",
        "Error: boom", "    at Object.<anonymous> (/srv/app/server.js:27:11)",
        "    at Module._compile (node:internal/modules/cjs/loader:1256:14)",
    ]),
}

CRASH_EVERY_LINES = 5000


def values(rng):
    return {
        "pid": rng.randint(100, 99999), "pid2": rng.randint(100, 99999),
        "n": rng.randint(1, 99999), "a": rng.randint(0, 255), "b": rng.randint(0, 255),
        "port": rng.randint(1024, 65535), "id": "%08x" % rng.getrandbits(32),
        "ms": rng.randint(1, 900), "small": rng.randint(1, 9),
        "ts": "%d.%03d" % (rng.randint(1_700_000_000, 1_800_000_000), rng.randint(0, 999)),
    }


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: generate-log.py SIZE_MB SEED OUT")
    size = int(sys.argv[1]) * 1_000_000
    rng = random.Random(int(sys.argv[2]))
    output = sys.argv[3]
    kinds = sorted(CRASHES)
    noise = [template for weight, template in NOISE for _ in range(weight)]
    truth = {kind: 0 for kind in kinds}
    written = 0
    line_number = 0
    with open(output, "w", encoding="utf-8") as out:
        while written < size:
            batch = []
            for _ in range(1000):
                month = MONTHS[(line_number // 500_000) % 12]
                clock = line_number // 40
                header = "%s %2d %02d:%02d:%02d host01 " % (
                    month, 1 + (clock // 86400) % 28, (clock // 3600) % 24,
                    (clock // 60) % 60, clock % 60)
                fields = values(rng)
                if rng.randrange(CRASH_EVERY_LINES) == 0:
                    kind = kinds[rng.randrange(len(kinds))]
                    tag, lines = CRASHES[kind]
                    truth[kind] += 1
                    for line in lines:
                        batch.append(header + tag.format(**fields) + ": " + line.format(**fields))
                else:
                    batch.append(header + rng.choice(noise).format(**fields))
                line_number += 1
            text = "\n".join(batch) + "\n"
            out.write(text)
            written += len(text.encode("utf-8"))
    with open(output + ".truth.json", "w", encoding="utf-8") as out:
        json.dump({"bytes": written, "crashes": sum(truth.values()), "kinds": truth}, out,
                  indent=2, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main()
