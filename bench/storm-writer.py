#!/usr/bin/env python3
"""Write a crash storm of kernel segfault lines to a log file at an even pace.

Usage: storm-writer.py FILE BLOCKS SECONDS PROGRAMS_OUT

Every crash is one segfault line with its own pid. Nine in ten come from camera-daemon (one
fingerprint); the rest cycle through five other programs. Lines are written in batches every
10 ms so that BLOCKS crashes take SECONDS. PROGRAMS_OUT gets a JSON object of crashes
written per program, for checking occurrence counts.
"""

import json
import os
import sys
import time

OTHERS = ["media-indexer", "sensord", "updater", "wifi-agent", "power-hal"]


def program_for(index: int) -> str:
    return OTHERS[(index // 10) % len(OTHERS)] if index % 10 == 9 else "camera-daemon"


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    path, blocks, seconds, programs_out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    batches = max(1, int(seconds * 100))
    per_batch = -(-blocks // batches)
    counts: dict[str, int] = {}
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    started = time.monotonic()
    written = 0
    for batch in range(batches):
        lines = []
        for index in range(written, min(blocks, written + per_batch)):
            program = program_for(index)
            counts[program] = counts.get(program, 0) + 1
            pid = 10000 + index
            lines.append(
                f"Dec  4 10:00:02 rig01 kernel: {program}[{pid}]: segfault at 0 ip 000055d0c0de1234 "
                f"sp 00007ffd5ac0ffee error 4 in {program}[55d0c0d00000+20000]\n"
            )
        written += len(lines)
        os.write(descriptor, "".join(lines).encode())
        delay = started + (batch + 1) * seconds / batches - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    os.close(descriptor)
    with open(programs_out, "w") as out:
        json.dump(counts, out, sort_keys=True)


if __name__ == "__main__":
    main()
