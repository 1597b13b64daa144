#!/usr/bin/python3
"""Records http/form_upload.pcap: curl -F posting two files and a text field.

One POST multipart/form-data from curl to this script's own server (python http.server,
port 20082, namespaces mime-*): a text field "note", "image" = a PNG (type image/png, as
curl guesses it) and "photo" = a JPEG that curl is told is text/plain. The server parses
the body with Python's email package and logs each file part (name and sha256) as an
object; tcpfollow must extract exactly those two parts as objects named dot.png and
photo.jpg, typed image/png and image/jpeg by their bytes (declared image/png and
text/plain), with orig_filenames naming both, and no object for the text field nor for
the multipart body as a whole.

usage: record_form_upload.py             (root: network namespaces)
       record_form_upload.py serve PORT OBJECTS.jsonl   (the server, run by the lab)
"""
import email.parser
import email.policy
import hashlib
import http.server
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
sys.path.insert(0, HERE)
import sample_objects  # noqa: E402
from http_server import Server  # noqa: E402  the lab's: IPv4 and IPv6, half-close before close

NAME = "form_upload"
PORT = 20082


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tcpfollow-corpus/1"
    objects_path = None

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        return "Thu, 01 Jan 2026 00:00:00 GMT"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        files = []
        for part in msg.iter_parts():
            name = part.get_filename()
            if name is None:
                continue
            data = part.get_payload(decode=True)
            files.append({"source": "http", "direction": "request", "method": "POST",
                          "url": self.path, "name": name, "declared": part.get_content_type(),
                          "sha256": hashlib.sha256(data).hexdigest(), "length": len(data)})
        with open(self.objects_path, "a") as f:
            for o in files:
                f.write(json.dumps(o) + "\n")
        reply = json.dumps({"files": [o["name"] for o in files]}).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def serve(port, objects_path):
    Handler.objects_path = objects_path
    Server(("::", port), Handler).serve_forever()


def main():
    import lab
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="mime") as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        png, jpg = os.path.join(L.tmp, "dot.png"), os.path.join(L.tmp, "photo.jpg")
        with open(png, "wb") as f:
            f.write(sample_objects.png())
        with open(jpg, "wb") as f:
            f.write(sample_objects.jpeg())
        L.python(L.sns, "server", [os.path.abspath(__file__), "serve", str(PORT), objects],
                 background=True)
        L.wait_listen(L.sns, PORT)
        L.start_capture(pcap)
        L.run_ns(L.cns, ["curl", "-sS", "--http1.1", "--fail", "-o", "/dev/null",
                         "-F", "note=two files follow",
                         "-F", "image=@%s" % png,
                         "-F", "photo=@%s;type=text/plain" % jpg,
                         "http://%s:%d/upload" % (lab.SERVER4, PORT)])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        want = [("dot.png", sample_objects.png()), ("photo.jpg", sample_objects.jpeg())]
        if [(o["name"], o["sha256"]) for o in objs] != [(n, lab.sha256_bytes(b)) for n, b in want]:
            raise SystemExit("server did not receive the two files intact: %s" % objs)
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        main()
