#!/usr/bin/python3
"""HTTP/1.1 server answering Range requests (python3 http.server), for corpus/http/ranges.pcap.

  ranges_server.py --port P --objects OUT.jsonl

Serves /files/NAME: deterministic bytes (file_bytes(NAME): seeded random, the size from
the digits of the name), with an ETag and a Last-Modified. A request without Range gets
200 and the whole file; "Range: bytes=A-B" (also "A-" and "-N") gets 206 with
Content-Range; several ranges get one 206 multipart/byteranges answer (fixed boundary,
each part with Content-Type and Content-Range); an unsatisfiable range gets 416. The
first request without Range for /files/resume* is cut: 200 with the whole Content-Length,
half of the body, then the connection is closed (a download to resume with curl -C -). Every
answer is logged to OUT as JSON (url, status, ranges, and the whole file's sha256 and
length), so the manifest can say what a stitched object must equal. Keep-alive works.
"""
import hashlib
import os
import random
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
# The lab's server (IPv4 and IPv6, half-close before close), handler base and object log.
from http_server import FixedHandler, log_object, serve  # noqa: E402

BOUNDARY = "tcpfollow-ranges-3d6b6a416f9b5"
_cut_lock = threading.Lock()
_cut_done = set()


def file_bytes(name):
    """NAME's content: seeded random bytes, as many as the digits in the name say."""
    base = name.rsplit(".", 1)[0]
    size = int("".join(ch for ch in base if ch.isdigit()) or "1000")
    return random.Random("ranges:" + name).randbytes(size)


def etag(name):
    return '"%s"' % hashlib.sha256(file_bytes(name)).hexdigest()[:16]


def parse_ranges(header, size):
    """[(first, last)] for "bytes=..." (RFC 9110 14.1.2), [] if none is satisfiable, None if malformed."""
    if not header.startswith("bytes="):
        return None
    out = []
    for spec in header[len("bytes="):].split(","):
        spec = spec.strip()
        first, _, last = spec.partition("-")
        if first == "":
            n = int(last)
            if n > 0:
                out.append((max(0, size - n), size - 1))
        else:
            a = int(first)
            b = size - 1 if last == "" else min(int(last), size - 1)
            if a < size and a <= b:
                out.append((a, b))
    return out


class Handler(FixedHandler):
    server_version = "tcpfollow-ranges/1"

    def do_GET(self):
        if not self.path.startswith("/files/"):
            self.send_error(404)
            return
        name = self.path[len("/files/"):]
        data = file_bytes(name)
        common = [("ETag", etag(name)), ("Last-Modified", "Wed, 31 Dec 2025 12:00:00 GMT"),
                  ("Accept-Ranges", "bytes")]
        ranges = None
        if "Range" in self.headers:
            ranges = parse_ranges(self.headers["Range"], len(data))
        cut = False
        if ranges is None and name.startswith("resume"):
            with _cut_lock:
                cut = name not in _cut_done
                _cut_done.add(name)
        if cut:
            self._answer(200, common + [("Content-Type", "application/octet-stream")], data,
                         send=len(data) // 2)
            self.close_connection = True
        elif ranges is None:
            self._answer(200, common + [("Content-Type", "application/octet-stream")], data)
        elif not ranges:
            self._answer(416, common + [("Content-Range", "bytes */%d" % len(data))], b"")
        elif len(ranges) == 1:
            a, b = ranges[0]
            self._answer(206, common + [("Content-Type", "application/octet-stream"),
                                        ("Content-Range", "bytes %d-%d/%d" % (a, b, len(data)))],
                         data[a:b + 1])
        else:
            body = b""
            for a, b in ranges:
                body += ("\r\n--%s\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Range: bytes %d-%d/%d\r\n\r\n" % (BOUNDARY, a, b, len(data))).encode()
                body += data[a:b + 1]
            body += ("\r\n--%s--\r\n" % BOUNDARY).encode()
            self._answer(206, common + [("Content-Type",
                                         "multipart/byteranges; boundary=" + BOUNDARY)], body)
        log_object(direction="response", source="http", url=self.path, method="GET",
                   status=self.last_status, ranges=ranges, cut=cut,
                   file_sha256=hashlib.sha256(data).hexdigest(), file_length=len(data))

    def _answer(self, status, headers, body, send=None):
        self.last_status = status
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body if send is None else body[:send])


if __name__ == "__main__":
    serve(Handler, 22080)
