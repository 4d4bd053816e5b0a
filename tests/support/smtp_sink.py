#!/usr/bin/env python3
"""SMTP sink for inzage's tests and CI: accepts mail and writes each message to a directory.

    python3 tests/support/smtp_sink.py --dir DIR [--host 127.0.0.1] [--port 0]
                                       [--tempfail N] [--reject TEXT]

Listens on HOST:PORT (port 0: the system picks a free port) and prints one line

    READY <port>

on stdout (flushed) once it accepts connections. Every message accepted is written to DIR as
`<nanoseconds>-<uuid>.eml`: the message exactly as received, preceded by a `Return-Path:`
header with the envelope sender and one `Delivered-To:` header per envelope recipient, as a
mailbox delivery would add. The file is written under a temporary name and renamed, so a
reader never sees half a message; the server answers 250 only after the rename.

For testing retries:
  --tempfail N   answer the first N messages (at DATA) with 451 4.3.0, a temporary failure;
  --reject TEXT  refuse every recipient whose address contains TEXT with 550 5.1.1.

SIGTERM or SIGINT closes the listener and exits with status 0.
Needs aiosmtpd (`pip install aiosmtpd`), Python 3.8 or newer.
"""

import argparse
import asyncio
import os
import signal
import sys
import time
import uuid

try:
    from aiosmtpd.smtp import SMTP
except ImportError:  # pragma: no cover - a clear message for a missing test dependency
    sys.stderr.write("smtp_sink: aiosmtpd is not installed; run `pip install aiosmtpd`\n")
    sys.exit(3)


class SinkHandler:
    def __init__(self, directory, tempfail, reject):
        self.directory = directory
        self.tempfail = tempfail
        self.reject = reject

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 Temporary failure, try again later"
        trace = "Return-Path: <%s>\r\n" % (envelope.mail_from or "")
        trace += "".join("Delivered-To: %s\r\n" % rcpt for rcpt in envelope.rcpt_tos)
        name = "%d-%s" % (time.time_ns(), uuid.uuid4().hex)
        partial = os.path.join(self.directory, "." + name + ".tmp")
        final = os.path.join(self.directory, name + ".eml")
        with open(partial, "wb") as f:
            f.write(trace.encode("ascii", "replace"))
            f.write(envelope.original_content or envelope.content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, final)
        return "250 2.0.0 Message accepted for delivery"


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    handler = SinkHandler(args.dir, args.tempfail, args.reject)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink", data_size_limit=64 * 1024 * 1024),
        host=args.host,
        port=args.port,
    )
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write("READY %d\n" % port)
    sys.stdout.flush()
    await stop.wait()
    server.close()
    try:
        # Python 3.12+ also waits for open connections here; do not hang on a stuck client.
        await asyncio.wait_for(server.wait_closed(), timeout=5)
    except asyncio.TimeoutError:
        pass


def main():
    parser = argparse.ArgumentParser(description="SMTP sink writing .eml files (tests only)")
    parser.add_argument("--dir", required=True, help="directory for the .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--tempfail", type=int, default=0, metavar="N")
    parser.add_argument("--reject", default="", metavar="TEXT")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except OSError as e:
        sys.stderr.write("smtp_sink: cannot listen on %s:%d: %s\n" % (args.host, args.port, e))
        sys.exit(2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
