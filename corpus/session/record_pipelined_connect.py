#!/usr/bin/python3
"""Records session/pipelined_connect.pcap: SMTP clients that speak before the server's 220 banner (pipelined connect), IPv4, no loss.

Raw-socket peers (corpus/record/scripted_peers.py); the server reads the client's first
bytes before it sends its banner, so on the wire the client speaks first:
  1. port 26501: the client sends EHLO alone, then waits; the server greets (220), answers
     the EHLO (PIPELINING), and the mail goes on one command at a time.
  2. port 26502: the client sends EHLO, MAIL FROM, RCPT TO and DATA in one segment
     before the banner; the server then sends the 220 and the four replies (250 x3, 354),
     each its own segment, and the client sends the message.
Each connection carries one mail with a text part and a binary attachment (base64).
Objects in the manifest: each message as the server received it (dot-unstuffed, without
the terminating line) and each attachment decoded.
"""
import email.message
import email.policy
import os
import random
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

HERE = os.path.dirname(os.path.abspath(__file__))


def lines(*ls):
    return "".join(l + "\r\n" for l in ls).encode()


def message(i, attachment):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "alice@client.session.test"
    m["To"] = "bob@mx.session.test"
    m["Subject"] = "pipelined connect %d" % i
    m["Message-ID"] = "<pipelined-%d@client.session.test>" % i
    m["Date"] = "Thu, 01 Jan 2026 00:00:0%d +0000" % i
    m.set_content("Mail %d, sent by a client that spoke before the banner.\n" % i)
    m.add_attachment(attachment, maintype="application", subtype="octet-stream",
                     filename="early%d.bin" % i)
    return m.as_bytes(policy=email.policy.SMTP)


def main():
    c, s = "c", "s"
    att1 = random.Random("pipelined 1").randbytes(6000)
    att2 = random.Random("pipelined 2").randbytes(9000)
    msg1, msg2 = message(1, att1), message(2, att2)
    for m in (msg1, msg2):
        assert b"\r\n." not in m and m.endswith(b"\r\n")  # nothing to dot-stuff
    ehlo = lines("EHLO client.session.test")
    envelope = lines("MAIL FROM:<alice@client.session.test>", "RCPT TO:<bob@mx.session.test>")
    ehlo_reply = lines("250-mx.session.test", "250-PIPELINING", "250 8BITMIME")
    conv1 = [(c, ehlo),
             (s, lines("220 mx.session.test ESMTP ready")), (s, ehlo_reply),
             (c, lines("MAIL FROM:<alice@client.session.test>")), (s, lines("250 ok")),
             (c, lines("RCPT TO:<bob@mx.session.test>")), (s, lines("250 ok")),
             (c, lines("DATA")), (s, lines("354 go ahead")),
             (c, msg1 + b".\r\n"), (s, lines("250 queued as 1")),
             (c, lines("QUIT")), (s, lines("221 bye"))]
    conv2 = [(c, ehlo + envelope + lines("DATA")),
             (s, lines("220 mx.session.test ESMTP ready")), (s, ehlo_reply),
             (s, lines("250 ok")), (s, lines("250 ok")), (s, lines("354 go ahead")),
             (c, msg2 + b".\r\n"), (s, lines("250 queued as 2")),
             (c, lines("QUIT")), (s, lines("221 bye"))]

    def conv(port, steps):
        return {"port": port, "steps": [[w, d.hex()] for w, d in steps], "close": "s"}
    script = [conv(26501, conv1), conv(26502, conv2)]
    objects = [lab.obj("smtp", msg1, name="message 1"), lab.obj("smtp", att1, name="early1.bin"),
               lab.obj("smtp", msg2, name="message 2"), lab.obj("smtp", att2, name="early2.bin")]
    lab.record_script(HERE, "pipelined_connect", __doc__.splitlines()[0], script,
                      objects=objects, prefix="session")


if __name__ == "__main__":
    main()
