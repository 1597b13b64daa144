"""Builds the report's hostile-input capture: HTTP, SMTP and FTP traffic whose URI, Host,
User-Agent, mail subject and sender, and file names (Content-Disposition, MIME attachment,
FTP RETR) carry <script>, "><img onerror=...> and invalid UTF-8; a small PNG (to be shown as
a thumbnail), an SVG with script (never to be embedded) and a connection with a gap.
Packets are hand-built with tests/hostile/pcapgen.py; ports 24000-24999 (the report's range).

usage: make_hostile_capture.py OUT.pcap   (prints the markers as JSON for the test)
"""
import base64
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "hostile"))
import pcapgen  # noqa: E402

CLIENT, SERVER = "198.18.0.1", "198.18.0.2"
# What an attacker would put there. Each would change the title or set window.__pwned.
SCRIPT = '<script>document.title="pwned";window.__pwned=1</script>'
IMG = '"><img src=x onerror="document.title=\'pwned\';window.__pwned=2">'
IMG_NOSPACE = '"><img/src=x/onerror=window.__pwned=3>'  # for a request line (no spaces)
BAD_UTF8 = b"\xff\xfe\xc3("


def png(width=4, height=3):
    def chunk(kind, data):
        c = kind + data
        return struct.pack("!I", len(data)) + c + struct.pack("!I", zlib.crc32(c) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([200, 30, 30] * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def http_response(body, ctype, extra=b""):
    return (b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: " +
            str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


def main():
    out = sys.argv[1]
    p = pcapgen.Pcap(out)
    s, i, u = SCRIPT.encode(), IMG.encode(), BAD_UTF8
    image = png()

    # HTTP: hostile URI, Host, User-Agent and file name; a PNG, an SVG with script, HTML.
    c = pcapgen.Conn(p, 24101, 24080, CLIENT, SERVER).handshake()
    uri = b"/" + s + IMG_NOSPACE.encode() + u
    c.send("c", b"GET " + uri + b" HTTP/1.1\r\nHost: " + s + i + u + b"\r\nUser-Agent: " + s + i +
           u + b"\r\n\r\n")
    c.send("s", http_response(image, b"image/png", b"Content-Disposition: attachment; filename=\"" +
                              s + i + u + b".png\"\r\n"))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned=4"><script>window.__pwned=5</script></svg>'
    c.send("c", b"GET /evil.svg HTTP/1.1\r\nHost: report.test\r\n\r\n")
    c.send("s", http_response(svg, b"image/svg+xml"))
    c.send("c", b"GET /page.html HTTP/1.1\r\nHost: report.test\r\n\r\n")
    c.send("s", http_response(b"<html><script>window.__pwned=6</script></html>", b"text/html"))
    c.close()

    # SMTP: hostile sender, subject and attachment name.
    m = pcapgen.Conn(p, 24102, 24025, CLIENT, SERVER).handshake()
    att = base64.encodebytes(image)
    message = (b"From: " + s + b" <alice@report.test>\r\nTo: bob@report.test\r\nSubject: " + s + i + u +
               b"\r\nDate: Thu, 01 Jan 2026 00:00:00 +0000\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n"
               b"hello\r\n--XX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
               b"Content-Disposition: attachment; filename=\"<script>window.__pwned=7</script>.png\"\r\n\r\n" + att +
               b"--XX--\r\n")
    for who, line in [("s", b"220 mx.report.test ESMTP\r\n"), ("c", b"EHLO " + s + b"\r\n"),
                      ("s", b"250 mx.report.test\r\n"), ("c", b"MAIL FROM:<alice@report.test>\r\n"),
                      ("s", b"250 OK\r\n"), ("c", b"RCPT TO:<bob@report.test>\r\n"), ("s", b"250 OK\r\n"),
                      ("c", b"DATA\r\n"), ("s", b"354 go ahead\r\n"), ("c", message + b".\r\n"),
                      ("s", b"250 OK queued\r\n"), ("c", b"QUIT\r\n"), ("s", b"221 bye\r\n")]:
        m.send(who, line)
    m.close()

    # FTP: a download whose name is hostile, over a passive data connection (port 24054).
    f = pcapgen.Conn(p, 24103, 24021, CLIENT, SERVER).handshake()
    name = s + IMG_NOSPACE.encode() + u
    for who, line in [("s", b"220 ftp.report.test\r\n"), ("c", b"USER " + s + b"\r\n"),
                      ("s", b"331 password please\r\n"), ("c", b"PASS x\r\n"), ("s", b"230 ok\r\n"),
                      ("c", b"TYPE I\r\n"), ("s", b"200 binary\r\n"), ("c", b"PASV\r\n"),
                      ("s", b"227 Entering Passive Mode (198,18,0,2,93,246).\r\n"),
                      ("c", b"RETR " + name + b"\r\n"), ("s", b"150 here it comes\r\n")]:
        f.send(who, line)
    d = pcapgen.Conn(p, 24104, 24054, CLIENT, SERVER).handshake()
    d.send("s", b"file bytes " * 50)
    d.close()
    f.send("s", b"226 done\r\n")
    f.send("c", b"QUIT\r\n")
    f.send("s", b"221 bye\r\n")
    f.close()

    # A connection with a gap: 1000 client bytes never captured.
    g = pcapgen.Conn(p, 24105, 24090, CLIENT, SERVER).handshake()
    g.send("c", b"before the gap\n")
    g.seq["c"] += 1000
    g.send("c", b"after the gap\n")
    g.send("s", b"server answer\n")
    g.close()
    p.close()
    json.dump({"script": SCRIPT, "img": IMG, "img_nospace": IMG_NOSPACE}, sys.stdout)


if __name__ == "__main__":
    main()
