#!/usr/bin/python3
"""SMTP server for the corpus (aiosmtpd), logging every message and attachment it received.

  smtp_server.py --listen ADDR --port P --objects OUT.jsonl

Accepts any mail. For each DATA it logs, as JSON lines: the message as the server
received it (envelope.original_content: dot-unstuffed, CRLF line ends, without the
terminating "."), with its sender, recipients and Subject; and every MIME part
with a filename, decoded from its transfer encoding (base64, quoted-printable).
"""
import argparse
import asyncio
import email
import email.policy
import hashlib
import json
import threading

from aiosmtpd.controller import Controller

_lock = threading.Lock()


class Handler:
    def __init__(self, out):
        self.out = out
        self.seq = 0

    def _log(self, **fields):
        with _lock, open(self.out, "a") as f:
            f.write(json.dumps(fields) + "\n")

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        self.seq += 1
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self._log(source="smtp", kind="message", seq=self.seq, mail_from=envelope.mail_from,
                  rcpt_tos=envelope.rcpt_tos, subject=str(msg.get("Subject", "")),
                  sha256=hashlib.sha256(raw).hexdigest(), length=len(raw))
        for part in msg.walk():
            name = part.get_filename()
            if name and not part.is_multipart():
                data = part.get_payload(decode=True) or b""
                self._log(source="smtp", kind="attachment", seq=self.seq, name=name,
                          mime_type=part.get_content_type(),
                          transfer_encoding=str(part.get("Content-Transfer-Encoding", "")),
                          sha256=hashlib.sha256(data).hexdigest(), length=len(data))
        return "250 OK message %d accepted" % self.seq


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", default="0.0.0.0,::", help="comma-separated addresses")
    p.add_argument("--port", type=int, default=2525)
    p.add_argument("--objects", required=True)
    a = p.parse_args()
    handler = Handler(a.objects)
    # asyncio makes "::" IPv6-only, so IPv4 gets its own listener on the same port.
    ctls = [Controller(handler, hostname=h, port=a.port, server_hostname="mx.corpus.test",
                       ready_timeout=10) for h in a.listen.split(",")]
    for c in ctls:
        c.start()
    print("listening", flush=True)
    try:
        threading.Event().wait()
    finally:
        for c in ctls:
            c.stop()


if __name__ == "__main__":
    main()
