#!/usr/bin/env python3
"""A discrete-event model of the fleet power-on benchmark, for tuning delivery pacing.

Models DEVICES daemons with REPORTS queued reports each, started within 1.1 s. Each waits a
random part of startup_delay, then sends at rate_limit with the overload pacing of
Sources/CrashfwdCore/Deliver/OverloadPacing.swift. The server admits LIMIT requests in any
sliding second and responds with 429 and Retry-After: 1 beyond that, as
centercode-sandbox --rate-limit does. Request round trips are a fixed 5 ms and per-report
retry backoff is left out, so the figures are estimates to compare settings, not
measurements. bench/fleet.sh measures the real daemons.

usage: bench/fleet-model.py [--devices 200] [--reports 20] [--limit 20]
                            [--startup-delay 30] [--interval 60] [--seeds 3]
Prints, per seed, the requests, the 429s, the busiest wall-clock second and the time of the
last ticket.
"""
import argparse
import collections
import heapq
import random

RATE_LIMIT = 2.0
ADDITIVE_SHARE = 0.0025
RETRY_AFTER = 1.0
ROUND_TRIP = 0.005


def run(devices, reports, limit, startup_delay, interval, seed):
    rng = random.Random(seed)
    admitted = collections.deque()
    per_second = collections.Counter()
    requests = rejected = 0
    last_ticket = 0.0
    events = []
    state = []
    for index in range(devices):
        launch = rng.uniform(0, 1.1)
        first = max(launch, startup_delay * rng.random())
        # rate None: not paced, so only the token bucket of rate_limit applies.
        state.append(dict(left=reports, rate=None, threshold=0.0, hold=0.0, last=-1e9))
        heapq.heappush(events, (first, index))
    while events:
        now, index = heapq.heappop(events)
        device = state[index]
        if device["left"] == 0:
            continue
        rate = device["rate"] or RATE_LIMIT
        ready = max(device["hold"], device["last"] + 1 / rate)
        if now < ready - 1e-9:
            heapq.heappush(events, (ready, index))
            continue
        requests += 1
        per_second[int(now)] += 1
        device["last"] = now
        while admitted and admitted[0] <= now - 1.0:
            admitted.popleft()
        if len(admitted) >= limit:
            rejected += 1
            floor = min(1 / interval, RATE_LIMIT)
            device["threshold"] = max(floor, (device["rate"] or RATE_LIMIT) / 2)
            device["rate"] = floor
            device["hold"] = max(device["hold"], now + RETRY_AFTER + rng.random() / floor)
            device["last"] = -1e9
        else:
            admitted.append(now)
            device["left"] -= 1
            last_ticket = max(last_ticket, now)
            if device["rate"] is not None:
                if device["rate"] < device["threshold"]:
                    device["rate"] = min(device["threshold"], device["rate"] * 2)
                else:
                    device["rate"] += RATE_LIMIT * ADDITIVE_SHARE
                if device["rate"] >= RATE_LIMIT:
                    device["rate"] = None
        heapq.heappush(events, (now + ROUND_TRIP, index))
    return requests, rejected, max(per_second.values()), last_ticket


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--limit", type=int, default=20, help="server requests per second")
    parser.add_argument("--startup-delay", type=float, default=30, help="seconds")
    parser.add_argument("--interval", type=float, default=60, help="overload_interval, seconds")
    parser.add_argument("--seeds", type=int, default=3)
    options = parser.parse_args()
    print("seed requests rejected max_per_second last_ticket_s")
    for seed in range(1, options.seeds + 1):
        requests, rejected, busiest, last = run(
            options.devices, options.reports, options.limit, options.startup_delay,
            options.interval, seed)
        print(f"{seed} {requests} {rejected} {busiest} {last:.1f}")


if __name__ == "__main__":
    main()
