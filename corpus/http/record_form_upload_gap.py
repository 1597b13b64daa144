#!/usr/bin/python3
"""Records http/form_upload_gap.pcap: a form-data upload cut by a capture gap, IPv4, no loss.

Raw-socket peers (corpus/record/scripted_peers.py, port 20083, namespaces mime-*) play one
POST multipart/form-data, each step its own segment: a text field "title" whose closing
delimiter is split across two segments; "cv" = a text file named with RFC 5987
(filename*=UTF-8''r%C3%A9sum%C3%A9.txt beside filename="resume.txt"); "data" = an HTML
page declared application/octet-stream, sent in three segments of which the middle one
(500 bytes) is removed from the capture afterwards; "pic" = a GIF after the gap. The
server answers 200. tcpfollow must extract résumé.txt whole, data.bin partial with
missing_bytes 500 (typed text/html by its first bytes), and after.gif whole (image/gif),
with orig_filenames naming all three. The manifest's objects are the two intact files.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
sys.path.insert(0, HERE)
import lab  # noqa: E402
import sample_objects  # noqa: E402

PORT = 20083
BOUNDARY = b"----tcpfollowGapBoundary7d3"


def main():
    b = BOUNDARY
    cv = b"".join(b"cv line %d: resume of a tcpfollow developer\n" % i for i in range(6))
    data = sample_objects.html()
    gif = sample_objects.gif()
    assert len(data) > 1100
    steps_body = [
        b"--" + b + b"\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\n"
        b"resume and data\r\n--" + b[:6],
        b[6:] + b"\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"resume.txt\"; "
        b"filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\nContent-Type: text/plain\r\n\r\n" + cv +
        b"\r\n--" + b + b"\r\nContent-Disposition: form-data; name=\"data\"; "
        b"filename=\"data.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data[:500],
        data[500:1000],  # cut from the capture
        data[1000:] + b"\r\n--" + b + b"\r\nContent-Disposition: form-data; name=\"pic\"; "
        b"filename=\"after.gif\"\r\nContent-Type: image/gif\r\n\r\n" + gif +
        b"\r\n--" + b + b"--\r\n",
    ]
    body_len = sum(len(s) for s in steps_body)
    head = (b"POST /upload HTTP/1.1\r\nHost: 198.18.0.2:%d\r\nUser-Agent: form-gap/1\r\n"
            b"Content-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n" %
            (PORT, b, body_len))
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"
    steps = [["c", head.hex()]] + [["c", s.hex()] for s in steps_body] + [["s", reply.hex()]]
    script = [{"port": PORT, "steps": steps, "close": "c"}]
    objects = [lab.obj("http", cv, direction="request", name="r\u00e9sum\u00e9.txt"),
               lab.obj("http", gif, direction="request", name="after.gif")]
    lab.record_script(HERE, "form_upload_gap", __doc__.splitlines()[0], script,
                      objects=objects, cuts=[(0, 3)], prefix="mime")


if __name__ == "__main__":
    main()
