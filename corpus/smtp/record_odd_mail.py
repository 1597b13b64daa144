#!/usr/bin/python3
"""Records smtp/odd_mail.pcap: an invalid BDAT, a message with a capture gap inside, an attached message/rfc822, IPv4, no loss.

Raw-socket peers (corpus/record/scripted_peers.py), one connection each, every line or
chunk its own segment:
  1. BDAT with a size that overflows 64 bits (501) and one the server refuses as too
     large (552), neither followed by a chunk; then RSET and a real mail sent with BDAT
     LAST: the commands after the refused BDATs are commands, not message bytes.
  2. A multipart message (text, a.bin, b.txt, c.png; base64) sent with DATA in several
     segments; the segment in the middle of a.bin is cut out of the capture afterwards.
     The text part (before the gap) and b.txt and c.png (after it) are still extracted.
  3. A message forwarding another as an attached message/rfc822 (which has its own
     attachment): the attached message is extracted as its own .eml, its attachment too.
Objects in the manifest: every part the server could decode, the attached message, and
the complete messages (1 and 3).
"""
import base64
import os
import random
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

HERE = os.path.dirname(os.path.abspath(__file__))


def lines(*ls):
    return "".join(l + "\r\n" for l in ls).encode()


def b64_lines(data):
    s = base64.b64encode(data).decode()
    return [s[i:i + 76] for i in range(0, len(s), 76)]


def main():
    rnd = random.Random("odd_mail")
    c, s = "c", "s"

    # 1. invalid / refused BDAT
    mail1 = lines("From: a@example.org", "To: b@example.org", "Subject: after bad BDAT", "",
                  "This mail follows two refused BDAT commands.")
    conv1 = [(s, lines("220 mx.example.org ESMTP")),
             (c, lines("EHLO client.example.org")), (s, lines("250-mx.example.org", "250 CHUNKING")),
             (c, lines("MAIL FROM:<a@example.org>")), (s, lines("250 ok")),
             (c, lines("RCPT TO:<b@example.org>")), (s, lines("250 ok")),
             (c, lines("BDAT 99999999999999999999999 LAST")), (s, lines("501 5.5.4 invalid chunk size")),
             (c, lines("BDAT 4294967296000 LAST")), (s, lines("552 5.3.4 chunk too large")),
             (c, lines("RSET")), (s, lines("250 reset")),
             (c, lines("MAIL FROM:<a@example.org>")), (s, lines("250 ok")),
             (c, lines("RCPT TO:<b@example.org>")), (s, lines("250 ok")),
             (c, lines("BDAT %d LAST" % len(mail1)) + mail1), (s, lines("250 queued")),
             (c, lines("QUIT")), (s, lines("221 bye"))]

    # 2. gap inside a multipart message
    a_bin = bytes(rnd.getrandbits(8) for _ in range(3000))
    b_txt = ("".join("b.txt line %03d\r\n" % i for i in range(60))).encode()
    c_png = b"\x89PNG\r\n\x1a\n" + bytes(rnd.getrandbits(8) for _ in range(900))
    text = b"Three files attached."
    bnd = "=_odd_mail_boundary_2"
    msg2 = ["From: a@example.org", "To: b@example.org", "Subject: gap inside",
            "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="%s"' % bnd, "",
            "--" + bnd, "Content-Type: text/plain", "", text.decode().rstrip("\r\n")]
    for name, ctype, data in (("a.bin", "application/octet-stream", a_bin),
                              ("b.txt", "text/plain", b_txt), ("c.png", "image/png", c_png)):
        msg2 += ["--" + bnd, "Content-Type: %s; name=\"%s\"" % (ctype, name),
                 "Content-Transfer-Encoding: base64",
                 'Content-Disposition: attachment; filename="%s"' % name, ""] + b64_lines(data)
    msg2 += ["--" + bnd + "--", ""]
    body2 = lines(*msg2)
    # Segments of at most ~900 bytes, each ending at a line end.
    chunks, cur = [], b""
    for l in body2.split(b"\r\n")[:-1]:
        if len(cur) + len(l) + 2 > 900:
            chunks.append(cur)
            cur = b""
        cur += l + b"\r\n"
    chunks.append(cur + b".\r\n")
    conv2 = [(s, lines("220 mx.example.org ESMTP")),
             (c, lines("EHLO client.example.org")), (s, lines("250 mx.example.org")),
             (c, lines("MAIL FROM:<a@example.org>")), (s, lines("250 ok")),
             (c, lines("RCPT TO:<b@example.org>")), (s, lines("250 ok")),
             (c, lines("DATA")), (s, lines("354 go ahead"))]
    a_start = body2.index(b'filename="a.bin"')
    cut_step = None
    pos = 0
    for ch in chunks:
        if cut_step is None and pos > a_start + 1200:
            cut_step = len(conv2)
        conv2.append((c, ch))
        pos += len(ch)
    conv2 += [(s, lines("250 queued")), (c, lines("QUIT")), (s, lines("221 bye"))]

    # 3. attached message/rfc822
    inner_att = ("".join("report row %03d\r\n" % i for i in range(40))).encode()
    ib = "=_inner_boundary"
    inner = lines("From: c@example.org", "To: a@example.org", "Subject: the original",
                  "Date: Thu, 01 Jan 2026 10:00:00 +0000", "Message-ID: <inner-1@example.org>",
                  "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="%s"' % ib, "",
                  "--" + ib, "Content-Type: text/plain", "", "Here is the report.",
                  "--" + ib, 'Content-Type: text/csv; name="report.csv"',
                  "Content-Transfer-Encoding: base64",
                  'Content-Disposition: attachment; filename="report.csv"', "",
                  *b64_lines(inner_att), "--" + ib + "--")
    ob = "=_outer_boundary"
    outer = lines("From: a@example.org", "To: b@example.org", "Subject: Fwd: the original",
                  "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="%s"' % ob, "",
                  "--" + ob, "Content-Type: text/plain", "", "Forwarded below.",
                  "--" + ob, "Content-Type: message/rfc822",
                  'Content-Disposition: attachment; filename="original.eml"', "") + inner + \
        lines("--" + ob + "--")
    conv3 = [(s, lines("220 mx.example.org ESMTP")),
             (c, lines("EHLO client.example.org")), (s, lines("250 mx.example.org")),
             (c, lines("MAIL FROM:<a@example.org>")), (s, lines("250 ok")),
             (c, lines("RCPT TO:<b@example.org>")), (s, lines("250 ok")),
             (c, lines("DATA")), (s, lines("354 go ahead")),
             (c, outer + b".\r\n"), (s, lines("250 queued")),
             (c, lines("QUIT")), (s, lines("221 bye"))]

    def conv(port, steps):
        return {"port": port, "steps": [[w, d.hex()] for w, d in steps], "close": "s"}
    script = [conv(22201, conv1), conv(22202, conv2), conv(22203, conv3)]
    inner_no_final_crlf = inner[:-2]  # the CRLF before the outer boundary belongs to it
    objects = [lab.obj("smtp", mail1, name="message after bad BDAT"),
               lab.obj("smtp", text, name="text part before the gap"),
               lab.obj("smtp", b_txt, name="b.txt"), lab.obj("smtp", c_png, name="c.png"),
               lab.obj("smtp", outer, name="forwarding message"),
               lab.obj("smtp", inner_no_final_crlf, name="original.eml"),
               lab.obj("smtp", inner_att, name="report.csv")]
    lab.record_script(HERE, "odd_mail", __doc__.splitlines()[0], script, objects=objects,
                      cuts=[(1, cut_step)])


if __name__ == "__main__":
    main()
