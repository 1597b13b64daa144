#!/usr/bin/python3
"""Records http/odd_requests.pcap: request lines a Zeek user meets in real captures, IPv4, no loss.

Raw-socket peers (corpus/record/scripted_peers.py) play, one connection each:
  1. QUERY (a method no list knows) with a 5-byte body, answered 200 with a body;
  2. CCM_POST with a body, answered 200;
  3. "GET" alone on the request line (no URI), answered 400 with a body;
  4. "GET / HTTP/1." (a truncated version), answered 200;
  5. binary junk as the request line, answered 400;
  6. an HTTP/0.9 request "GET /old09.txt", answered with bare bytes to the close;
  7. a POST whose Content-Length is 40 zeros then 50, with 50 body bytes, then a GET on
     the same connection: both answered 200 (the 50 bytes are a body, not a request);
  8. a POST with Expect: 100-continue: 100, the body, then an HTTP/1.0 200 (version is
     the reply's "1.0", request_version "1.1", info_code 100);
  9. a WebSocket upgrade answered 101 (status_code and info_code 101), one frame each way.
The manifest's objects are every request and response body.
"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

HERE = os.path.dirname(os.path.abspath(__file__))


def resp(status, body, ctype="text/plain", extra=""):
    reason = {200: "OK", 400: "Bad Request"}[status]
    return ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" %
            (status, reason, ctype, len(body), extra)).encode() + body


def conv(port, *steps, close="c"):
    return {"port": port, "steps": [[w, d.hex()] for w, d in steps], "close": close}


def main():
    q_body = b"q=abc"
    ccm_body = b"<ccm>posted</ccm>"
    zeros_body = b"A" * 50
    bodies = {
        "query": b"query result for abc\n",
        "ccm": b"ccm ok\n",
        "bad400": b"<html><body>Bad request syntax</body></html>\n",
        "trunc": b"truncated version served\n",
        "junk400": b"<html><body>Bad request</body></html>\n",
        "old09": b"This is an HTTP/0.9 answer: no status line, no headers.\n" * 3,
        "zeros": b"fifty bytes received\n",
        "after": b"the request after the zero-padded body\n",
    }
    h = "Host: 198.18.0.2\r\n"
    script = [
        conv(22001, ("c", ("QUERY /search HTTP/1.1\r\n" + h + "Content-Length: 5\r\n\r\n").encode() + q_body),
             ("s", resp(200, bodies["query"]))),
        conv(22002, ("c", ("CCM_POST /ccm HTTP/1.1\r\n" + h + "Content-Length: %d\r\n\r\n" % len(ccm_body)).encode() + ccm_body),
             ("s", resp(200, bodies["ccm"]))),
        conv(22003, ("c", ("GET\r\n" + h + "\r\n").encode()),
             ("s", resp(400, bodies["bad400"], "text/html", "Connection: close\r\n")), close="s"),
        conv(22004, ("c", ("GET /trunc.txt HTTP/1.\r\n" + h + "\r\n").encode()),
             ("s", resp(200, bodies["trunc"]))),
        conv(22005, ("c", b"\x16\xfe\x01\x00binary\xff\xfe junk\r\n\r\n"),
             ("s", resp(400, bodies["junk400"], "text/html", "Connection: close\r\n")), close="s"),
        conv(22006, ("c", b"GET /old09.txt\r\n"), ("s", bodies["old09"]), close="s"),
        conv(22007, ("c", ("POST /zeros HTTP/1.1\r\n" + h + "Content-Length: " + "0" * 40 + "50\r\n\r\n").encode() + zeros_body +
                     ("GET /after.txt HTTP/1.1\r\n" + h + "\r\n").encode()),
             ("s", resp(200, bodies["zeros"]) + resp(200, bodies["after"]))),
        conv(22008, ("c", ("POST /continue HTTP/1.1\r\n" + h + "Expect: 100-continue\r\n"
                           "Content-Length: 5\r\n\r\n").encode()),
             ("s", b"HTTP/1.1 100 Continue\r\n\r\n"), ("c", b"hello"),
             ("s", b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), close="s"),
        conv(22009, ("c", ("GET /ws HTTP/1.1\r\n" + h + "Upgrade: websocket\r\n"
                           "Connection: Upgrade\r\n\r\n").encode()),
             ("s", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   b"Connection: Upgrade\r\n\r\n"), ("c", b"\x81\x02hi"), ("s", b"\x81\x02ok")),
    ]
    objects = [lab.obj("http", b, name=n) for n, b in
               [("query", q_body), ("ccm", ccm_body), ("zeros", zeros_body), ("continue", b"hello"),
                ("continue answer", b"ok")] + sorted(bodies.items())]
    lab.record_script(HERE, "odd_requests", __doc__.splitlines()[0], script, objects=objects)


if __name__ == "__main__":
    main()
