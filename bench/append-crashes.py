#!/usr/bin/env python3
"""Append kernel segfault lines to a log file at a fixed interval and record when each was written.

Usage: append-crashes.py FILE COUNT INTERVAL_MS TIMES_OUT [FIRST_PID]

Each line names a distinct pid (FIRST_PID, default 100000, counting up), so a ticket can be
matched to the line that caused it. TIMES_OUT gets one "PID EPOCH_NS" line per crash: the
CLOCK_REALTIME time taken just before the write(2) that appended the line.
"""

import os
import sys
import time


def main() -> None:
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    path, count, interval_ms, times_out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    first_pid = int(sys.argv[5]) if len(sys.argv) == 6 else 100000
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    records = []
    next_at = time.monotonic()
    for index in range(count):
        pid = first_pid + index
        line = (
            f"Dec  4 10:00:02 rig01 kernel: camera-daemon[{pid}]: segfault at 0 ip 000055d0c0de1234 "
            f"sp 00007ffd5ac0ffee error 4 in camera-daemon[55d0c0d00000+20000]\n"
        ).encode()
        written_at = time.time_ns()
        os.write(descriptor, line)
        records.append(f"{pid} {written_at}\n")
        next_at += interval_ms / 1000
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    os.close(descriptor)
    with open(times_out, "w") as output:
        output.writelines(records)


if __name__ == "__main__":
    main()
