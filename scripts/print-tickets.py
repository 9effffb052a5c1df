"""Prints the sandbox's tickets (JSON on stdin) as a short human-readable list."""
import json
import sys

tickets = json.load(sys.stdin)
for ticket in tickets:
    parameters = ticket["parameters"]
    print(f"\n#{ticket['id']}  {parameters.get('summary', '')}")
    for name in sorted(parameters):
        if name in ("summary", "description"):
            continue
        print(f"    {name}: {parameters[name]}")
    description = parameters.get("description", "")
    print("    description:")
    for line in description.splitlines():
        print(f"      {line}")
print(f"\n{len(tickets)} ticket(s)")
