#!/usr/bin/env python3
"""Print the resident memory of one process per mapped file, from /proc/PID/smaps.

usage: bench/memory-map.py PID [LABEL] [--rows N]

Prints a Markdown table with one row per file (all its mappings summed) and one row each
for the heap, the stacks and the other anonymous mappings, largest Rss first, then the
totals. The columns, in KiB, are Rss, Pss, anonymous pages, clean and dirty file-backed
pages, and the resident part of the executable mappings (text). Pss (Proportional Set
Size) divides each page by the number of processes that map it. Rows after the first N are summed
into one "other" row.
"""

import argparse
import collections
import os
import sys

FIELDS = ("Rss", "Pss", "Anonymous", "Shared_Clean", "Private_Clean", "Shared_Dirty", "Private_Dirty")


def read_mappings(pid):
    """Yield (path, permissions, {field: KiB}) for each mapping in /proc/PID/smaps."""
    name = perms = None
    values = {}
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            parts = line.split()
            if not parts:
                continue
            # A mapping header is "start-end perms offset dev inode [path]". Field lines
            # start with a word that ends in a colon.
            if "-" in parts[0] and not parts[0].endswith(":"):
                if name is not None:
                    yield name, perms, values
                perms = parts[1]
                name = " ".join(parts[5:]) if len(parts) > 5 else "[anonymous]"
                values = {}
            elif parts[0].endswith(":") and parts[0][:-1] in FIELDS:
                values[parts[0][:-1]] = int(parts[1])
    if name is not None:
        yield name, perms, values


def row_name(name):
    if name.startswith("[stack"):
        return "[stack]"
    return name


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pid", type=int)
    parser.add_argument("label", nargs="?", default=None)
    parser.add_argument("--rows", type=int, default=12)
    options = parser.parse_args()

    rows = collections.defaultdict(lambda: collections.Counter())
    for name, perms, values in read_mappings(options.pid):
        row = rows[row_name(name)]
        for field in FIELDS:
            row[field] += values.get(field, 0)
        # A page the process wrote to is a private copy and counts as anonymous. Dirty file
        # pages are page cache not yet written back, as for a binary that was just built.
        row["clean"] += values.get("Shared_Clean", 0) + values.get("Private_Clean", 0)
        row["dirty_file"] += (
            values.get("Shared_Dirty", 0) + values.get("Private_Dirty", 0) - values.get("Anonymous", 0)
        )
        if "x" in perms:
            row["text"] += values.get("Rss", 0)

    ordered = sorted(rows.items(), key=lambda item: item[1]["Rss"], reverse=True)
    listed, rest = ordered[: options.rows], ordered[options.rows :]
    if rest:
        other = collections.Counter()
        for _, row in rest:
            other.update(row)
        listed.append((f"other ({len(rest)} mappings)", other))
    total = collections.Counter()
    for _, row in ordered:
        total.update(row)

    label = options.label or os.path.basename(os.readlink(f"/proc/{options.pid}/exe"))
    print(f"| {label}: mapping | Rss | Pss | anonymous | file clean | file dirty | text resident |")
    print("|---|---|---|---|---|---|---|")
    for name, row in listed + [("**total**", total)]:
        print(
            f"| {name} | {row['Rss']} | {row['Pss']} | {row['Anonymous']} | {row['clean']} "
            f"| {max(row['dirty_file'], 0)} | {row['text']} |"
        )


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ProcessLookupError) as error:
        sys.exit(f"memory-map.py: cannot read the smaps of that process: {error}")
