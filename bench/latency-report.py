#!/usr/bin/env python3
"""Compute crash-to-ticket latencies from append times and the sandbox's tickets.

Usage: latency-report.py TIMES TICKETS_JSON

TIMES has "PID EPOCH_NS" lines from append-crashes.py; TICKETS_JSON is the body of
GET /sandbox/tickets. A ticket belongs to the crash whose "[PID]: segfault" appears in any
of its parameters. Prints one line of key=value pairs: count, matched, duplicates, and the
p50, p90, p99 and max latency in milliseconds. The sandbox stamps receivedAt with
millisecond resolution (truncated), so each latency reads up to 1 ms low.
"""

import datetime
import json
import re
import sys

PID_PATTERN = re.compile(r"\[(\d+)\]: segfault")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, round(fraction * len(values) + 0.5 - 1e-9))
    return values[min(rank, len(values)) - 1]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    written = {}
    with open(sys.argv[1]) as times:
        for line in times:
            pid, nanoseconds = line.split()
            written[pid] = int(nanoseconds)
    with open(sys.argv[2]) as body:
        tickets = json.load(body)

    latencies = {}
    duplicates = 0
    for ticket in tickets:
        text = json.dumps(ticket.get("parameters", {}))
        match = PID_PATTERN.search(text)
        if not match or match.group(1) not in written:
            continue
        pid = match.group(1)
        if pid in latencies:
            duplicates += 1
            continue
        received = datetime.datetime.fromisoformat(ticket["receivedAt"].replace("Z", "+00:00"))
        received_ns = round(received.timestamp() * 1000) * 1_000_000
        latencies[pid] = (received_ns - written[pid]) / 1e6

    values = sorted(latencies.values())
    fields = {"count": len(written), "matched": len(values), "duplicates": duplicates}
    if values:
        fields.update(
            p50=f"{percentile(values, 0.50):.2f}",
            p90=f"{percentile(values, 0.90):.2f}",
            p99=f"{percentile(values, 0.99):.2f}",
            max=f"{values[-1]:.2f}",
        )
    print(" ".join(f"{key}={value}" for key, value in fields.items()))


if __name__ == "__main__":
    main()
