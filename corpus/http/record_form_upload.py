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
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
sys.path.insert(0, HERE)
import sample_objects  # noqa: E402
# The lab's handler base, object log and serve-or-record entry.
from http_server import FixedHandler, log_object, serve_or_record  # noqa: E402

NAME = "form_upload"
PORT = 20082


class Handler(FixedHandler):
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
            files.append(name)
            log_object(source="http", direction="request", method="POST", url=self.path,
                       name=name, declared=part.get_content_type(),
                       sha256=hashlib.sha256(data).hexdigest(), length=len(data))
        reply = json.dumps({"files": files}).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


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
    serve_or_record(Handler, main)
