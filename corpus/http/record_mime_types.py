#!/usr/bin/python3
"""Records http/mime_types.pcap: objects whose declared type lies, or is missing.

One keep-alive connection, curl fetching five objects from this script's own server
(python http.server, port 20080, namespaces mime-*): a PNG served as text/plain, a GIF
named .png and declared image/png, a JPEG with no Content-Type at all, an HTML page
sent gzip'd (Content-Encoding: gzip, so only the decoded body is HTML), and a plain text
file declared "text/plain." (a trailing dot, as some servers send). tcpfollow must type
each object from its bytes (image/png, image/gif, image/jpeg, text/html, text/plain) and
keep the declared type apart. The manifest's objects are the bodies as the server meant
them (decoded).

usage: record_mime_types.py             (root: network namespaces)
       record_mime_types.py serve PORT OBJECTS.jsonl   (the server, run by the lab)
"""
import gzip
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
sys.path.insert(0, HERE)
import sample_objects  # noqa: E402
# The lab's handler base, object log and serve-or-record entry.
from http_server import FixedHandler, log_object, serve_or_record  # noqa: E402

NAME = "mime_types"
PORT = 20080

# path -> (body, declared Content-Type or None, gzip'd on the wire)
OBJECTS = {
    "/img/logo.png": (sample_objects.png(), "text/plain", False),
    "/img/anim.png": (sample_objects.gif(), "image/png", False),
    "/img/photo": (sample_objects.jpeg(), None, False),
    "/page.html": (sample_objects.html(), "text/html; charset=utf-8", True),
    "/notes.txt": (sample_objects.text(), "text/plain.", False),
}


class Handler(FixedHandler):
    def do_GET(self):
        body, ctype, zipped = OBJECTS[self.path]
        wire = gzip.compress(body, compresslevel=6, mtime=0) if zipped else body
        self.send_response(200)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(wire)))
        self.end_headers()
        self.wfile.write(wire)
        log_object(source="http", direction="response", method="GET", url=self.path,
                   status=200, declared=ctype, name=self.path.rsplit("/", 1)[-1],
                   sha256=hashlib.sha256(body).hexdigest(), length=len(body))


def main():
    import lab
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="mime") as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [os.path.abspath(__file__), "serve", str(PORT), objects],
                 background=True)
        L.wait_listen(L.sns, PORT)
        L.start_capture(pcap)
        curl = ["curl", "-sS", "--http1.1", "--fail"]
        for path in OBJECTS:
            curl += ["-o", "/dev/null", "http://%s:%d%s" % (lab.SERVER4, PORT, path)]
        L.run_ns(L.cns, curl)
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        if len(objs) != len(OBJECTS):
            raise SystemExit("server sent %d objects, wanted %d" % (len(objs), len(OBJECTS)))
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    serve_or_record(Handler, main)
