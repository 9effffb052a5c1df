#!/usr/bin/env python3
"""Receive sd_notify(3) datagrams on a Unix socket and log each with its arrival time.

Usage: notify-listener.py SOCKET_PATH OUT

Binds SOCKET_PATH (removing a stale one) and appends one line per datagram to OUT:
"EPOCH_NS MESSAGE", with the message's newlines replaced by spaces. Runs until SIGTERM.
"""

import os
import signal
import socket
import sys
import time


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, out_path = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(out_path, "a", buffering=1) as out:
        while True:
            message = listener.recv(4096)
            arrived = time.time_ns()
            text = message.decode("utf-8", "replace").replace("\n", " ")
            out.write(f"{arrived} {text}\n")


if __name__ == "__main__":
    main()
