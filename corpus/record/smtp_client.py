#!/usr/bin/python3
"""SMTP client for the corpus (smtplib): smtp_client.py HOST1 HOST2 PORT OUT.json.

Connection 1 (to HOST1), EHLO, three mail transactions (plain text whose
body lines start with dots, one with a base64 binary attachment and a
quoted-printable text attachment, one with a nested multipart and an inline image
part with a filename), an RSET between two of them, QUIT; then a second connection
(to HOST2) with one more message. Logs what it handed to smtplib for each message (after
CRLF conversion and before dot-stuffing) so the server's account can be compared.
"""
import email.message
import email.policy
import hashlib
import json
import random
import smtplib
import sys

DOTS_BODY = (
    "Lines below start with dots; SMTP transparency doubles them on the wire.\n"
    ".a line starting with a dot\n"
    "..two dots\n"
    ".\n"
    "the line above was a single dot, which must not end the message\n"
    ". space after dot\n"
    "last line\n")


def msg_plain(i):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "alice@client.corpus.test"
    m["To"] = "bob@mx.corpus.test"
    m["Subject"] = "corpus message %d: dots" % i
    m["Message-ID"] = "<corpus-%d@client.corpus.test>" % i
    m["Date"] = "Thu, 01 Jan 2026 00:00:0%d +0000" % i
    m.set_content(DOTS_BODY * 3)
    return m


def msg_attachments(i, seed):
    m = msg_plain(i)
    m.replace_header("Subject", "corpus message %d: attachments" % i)
    m.add_attachment(random.Random(seed).randbytes(9000), maintype="application",
                     subtype="octet-stream", filename="blob%d.bin" % i)
    text = "".join("caf\u00e9 line %d = quoted printable\n" % n for n in range(120))
    m.add_attachment(text.encode("utf-8"), maintype="text", subtype="plain",
                     filename="notes%d.txt" % i, cte="quoted-printable")
    return m


def msg_nested(i, seed):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "carol@client.corpus.test"
    m["To"] = "bob@mx.corpus.test, dave@mx.corpus.test"
    m["Subject"] = "corpus message %d: nested" % i
    m["Message-ID"] = "<corpus-%d@client.corpus.test>" % i
    m["Date"] = "Thu, 01 Jan 2026 00:00:0%d +0000" % i
    m.set_content("plain alternative\n.dot line in the plain part\n")
    m.add_alternative("<html><body><p>html alternative</p><img src=\"cid:img1\"></body></html>\n",
                      subtype="html")
    m.get_payload()[1].add_related(random.Random(seed).randbytes(3000), maintype="image",
                                   subtype="png", cid="<img1>", filename="pixel.png")
    m.add_attachment(random.Random(seed + 1).randbytes(5000), maintype="application",
                     subtype="pdf", filename="report.pdf")
    return m


def send(conn, m, rcpts, log):
    raw = m.as_bytes(policy=email.policy.SMTP)
    conn.sendmail(m["From"], rcpts, raw)
    log.append({"subject": str(m["Subject"]), "sha256": hashlib.sha256(raw).hexdigest(),
                "length": len(raw)})


def main():
    host1, host2, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    log = []
    with smtplib.SMTP(host1, port, local_hostname="client.corpus.test") as s:
        s.ehlo("client.corpus.test")
        send(s, msg_plain(1), ["bob@mx.corpus.test"], log)
        send(s, msg_attachments(2, 72), ["bob@mx.corpus.test"], log)
        s.rset()
        send(s, msg_nested(3, 73), ["bob@mx.corpus.test", "dave@mx.corpus.test"], log)
    with smtplib.SMTP(host2, port, local_hostname="client2.corpus.test") as s:
        s.helo("client2.corpus.test")
        send(s, msg_plain(4), ["erin@mx.corpus.test"], log)
    with open(out, "w") as f:
        json.dump(log, f)


if __name__ == "__main__":
    main()
