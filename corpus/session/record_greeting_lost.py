#!/usr/bin/python3
"""Records session/greeting_lost.pcap: SMTP and FTP sessions whose first server segment (the 220 greeting) is missing from the capture, IPv4, no loss.

Raw-socket peers (corpus/record/scripted_peers.py), every line its own segment; the
handshake is captured, then the server's greeting is cut out of the capture afterwards
(a hole the tap missed before anything could be detected: detection goes on after the
gap, the stream counts as picked up in its middle).
  1. port 26531, SMTP: EHLO, one mail with a text part and a binary attachment, QUIT.
  2. port 26532, FTP: USER, PASS, SYST, PWD, TYPE I, PASV, RETR (150 announces the size;
     the data connection is not opened), QUIT.
Objects in the manifest: the message as the server received it and the attachment.
"""
import email.message
import email.policy
import os
import random
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def lines(*ls):
    return "".join(l + "\r\n" for l in ls).encode()


def main():
    c, s = "c", "s"
    att = random.Random("greeting lost").randbytes(5000)
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "alice@client.session.test"
    m["To"] = "bob@mx.session.test"
    m["Subject"] = "greeting lost"
    m["Date"] = "Thu, 01 Jan 2026 00:00:00 +0000"
    m.set_content("The server's greeting is not in the capture.\n")
    m.add_attachment(att, maintype="application", subtype="octet-stream", filename="lost.bin")
    msg = m.as_bytes(policy=email.policy.SMTP)
    assert b"\r\n." not in msg
    smtp = [(s, lines("220 mx.session.test ESMTP ready")),
            (c, lines("EHLO client.session.test")),
            (s, lines("250-mx.session.test", "250 8BITMIME")),
            (c, lines("MAIL FROM:<alice@client.session.test>")), (s, lines("250 ok")),
            (c, lines("RCPT TO:<bob@mx.session.test>")), (s, lines("250 ok")),
            (c, lines("DATA")), (s, lines("354 go ahead")),
            (c, msg + b".\r\n"), (s, lines("250 queued as 7")),
            (c, lines("QUIT")), (s, lines("221 bye"))]
    ftp = [(s, lines("220 scripted FTP server ready")),
           (c, lines("USER alice")), (s, lines("331 Password required for alice")),
           (c, lines("PASS secret")), (s, lines("230 User alice logged in")),
           (c, lines("SYST")), (s, lines("215 UNIX Type: L8")),
           (c, lines("PWD")), (s, lines('257 "/home/alice" is the current directory')),
           (c, lines("TYPE I")), (s, lines("200 Type set to I")),
           (c, lines("PASV")), (s, lines("227 Entering Passive Mode (198,18,0,2,104,100)")),
           (c, lines("RETR report.pdf")),
           (s, lines("150 Opening BINARY mode data connection for report.pdf (8192 bytes)")),
           (s, lines("226 Transfer complete")),
           (c, lines("QUIT")), (s, lines("221 Goodbye"))]

    def conv(port, steps):
        return {"port": port, "steps": [[w, d.hex()] for w, d in steps], "close": "s"}
    script = [conv(26531, smtp), conv(26532, ftp)]
    objects = [lab.obj("smtp", msg, name="message"), lab.obj("smtp", att, name="lost.bin")]
    lab.record_script(HERE, "greeting_lost", __doc__.splitlines()[0], script, objects=objects,
                      cuts=[(0, 0), (1, 0)], prefix="session")


if __name__ == "__main__":
    main()
