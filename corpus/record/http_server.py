#!/usr/bin/python3
"""HTTP/1.1 server for the corpus (python3 http.server), logging every body it sent or got.

  http_server.py --listen ADDR --port P --objects OUT.jsonl

Serves deterministic objects: /obj/NAME (Content-Length), /chunked/NAME (chunked
transfer encoding, uneven chunk sizes, a chunk extension and a trailer),
/gzip/NAME (Content-Encoding: gzip, Content-Length), /gzipchunked/NAME (gzip and
chunked), HEAD on any of these, a 404 page for anything else; POST /upload reads a
Content-Length or chunked body (http.server answers Expect: 100-continue itself)
and answers 201. Keep-alive and pipelined requests work (HTTP/1.1 handler).
Every body is logged to OUT as JSON: its sha256 and length as the application
sees it (decoded: no chunking, no gzip), the URL, method, status and direction, so
the corpus manifest can list the objects a parser should extract.
"""
import argparse
import gzip
import hashlib
import http.server
import json
import random
import socket
import sys
import threading

_log_lock = threading.Lock()
OBJECTS_PATH = None


def object_bytes(name):
    """NAME's content: text for *.txt / *.html, else seeded random bytes; size from the name."""
    base = name.rsplit(".", 1)[0]
    size = int("".join(ch for ch in base if ch.isdigit()) or "1000")
    rnd = random.Random(name)
    if name.endswith((".txt", ".html")):
        words = ["tcp", "follow", "stream", "segment", "window", "ack", "reassembly", "gap"]
        text = " ".join(rnd.choice(words) for _ in range(size // 4))
        return (text[:size - 1] + "\n").encode()
    return rnd.randbytes(size)


def log_object(**fields):
    with _log_lock, open(OBJECTS_PATH, "a") as f:
        f.write(json.dumps(fields) + "\n")


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


class FixedHandler(http.server.BaseHTTPRequestHandler):
    """What every corpus server shares: HTTP/1.1 (keep-alive), a fixed Server header and
    Date (the recorded bytes do not depend on when or with which Python), no log lines."""
    protocol_version = "HTTP/1.1"
    server_version = "tcpfollow-corpus/1"

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        return "Thu, 01 Jan 2026 00:00:00 GMT"  # fixed: keeps headers deterministic

    def log_message(self, *args):
        pass


class Handler(FixedHandler):
    def _send_body(self, status, body, ctype, encoding=None, chunked=False):
        head_only = self.command == "HEAD"
        wire = gzip_bytes(body) if encoding == "gzip" else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Body-Sha256")
        else:
            self.send_header("Content-Length", str(len(wire)))
        self.end_headers()
        if head_only:
            return
        if chunked:
            sizes = [1, 100, 4096, 7, 2000]
            off, i = 0, 0
            while off < len(wire):
                n = sizes[i % len(sizes)]
                ext = ";note=corpus" if i == 2 else ""
                self.wfile.write(b"%x%s\r\n" % (n if off + n <= len(wire) else len(wire) - off, ext.encode()))
                self.wfile.write(wire[off:off + n] + b"\r\n")
                off += n
                i += 1
            self.wfile.write(b"0\r\nX-Body-Sha256: %s\r\n\r\n" % hashlib.sha256(body).hexdigest().encode())
        else:
            self.wfile.write(wire)
        log_object(source="http", direction="response", method=self.command, url=self.path,
                   status=status, content_encoding=encoding, chunked=chunked,
                   name=self.path.rsplit("/", 1)[-1],
                   sha256=hashlib.sha256(body).hexdigest(), length=len(body))

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) == 3 and parts[1] in ("obj", "chunked", "gzip", "gzipchunked"):
            body = object_bytes(parts[2])
            ctype = "text/plain" if parts[2].endswith(".txt") else (
                "text/html" if parts[2].endswith(".html") else "application/octet-stream")
            self._send_body(200, body, ctype, "gzip" if parts[1].startswith("gzip") else None,
                            parts[1] in ("chunked", "gzipchunked"))
        else:
            body = b"<html><body><h1>404 Not Found</h1><p>%s</p></body></html>\n" % self.path.encode()
            self._send_body(404, body, "text/html")

    do_HEAD = do_GET

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                n = int(self.rfile.readline().split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def do_POST(self):
        body = self._read_body()
        log_object(source="http", direction="request", method="POST", url=self.path,
                   status=None, name=self.path.rsplit("/", 1)[-1],
                   sha256=hashlib.sha256(body).hexdigest(), length=len(body),
                   expect=self.headers.get("Expect"),
                   chunked=self.headers.get("Transfer-Encoding", "").lower() == "chunked")
        reply = json.dumps({"received": len(body), "sha256": hashlib.sha256(body).hexdigest()}).encode() + b"\n"
        self._send_body(201, reply, "application/json")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

    def shutdown_request(self, request):
        # Half-close, then read to EOF: the recorded client bytes are complete and the
        # close never turns into an RST because of unread data.
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(5)
            while request.recv(65536):
                pass
        except OSError:
            pass
        self.close_request(request)


def serve(handler, default_port):
    """A server's command line: --listen ADDR --port P --objects OUT.jsonl (log_object's)."""
    global OBJECTS_PATH
    p = argparse.ArgumentParser()
    p.add_argument("--listen", default="::")
    p.add_argument("--port", type=int, default=default_port)
    p.add_argument("--objects", required=True)
    a = p.parse_args()
    OBJECTS_PATH = a.objects
    srv = Server((a.listen, a.port), handler)
    print("listening", flush=True)
    srv.serve_forever()


def serve_or_record(handler, record):
    """The entry of a recording script that is also its own server: `SCRIPT serve PORT
    OBJECTS.jsonl` (how its lab starts it) serves `handler` on [::]:PORT, logging to
    OBJECTS.jsonl; anything else runs `record`."""
    global OBJECTS_PATH
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        OBJECTS_PATH = sys.argv[3]
        Server(("::", int(sys.argv[2])), handler).serve_forever()
    else:
        record()


if __name__ == "__main__":
    serve(Handler, 8080)
