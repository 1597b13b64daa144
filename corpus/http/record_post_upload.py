#!/usr/bin/python3
"""Records http/post_upload.pcap: POST uploads (form, 100-continue, chunked), 3% loss per hop.

Three curl connections to POST /upload: a small urlencoded form (no Expect), a
40 kB binary with `Expect: 100-continue` (the server answers 100 Continue, then
the body follows, then 201), and a 25 kB binary sent with Transfer-Encoding:
chunked. The manifest's objects are the request bodies as the server decoded them
(direction "request") and the server's JSON replies (direction "response").
"""
import os
import random
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "post_upload"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=3) as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [lab.HTTP_SERVER, "--objects", objects], background=True)
        L.wait_listen(L.sns, 8080)
        up1 = os.path.join(L.tmp, "up40000.bin")
        up2 = os.path.join(L.tmp, "up25000.bin")
        open(up1, "wb").write(random.Random(61).randbytes(40000))
        open(up2, "wb").write(random.Random(62).randbytes(25000))
        L.start_capture(pcap)
        url = "http://%s:8080/upload" % lab.SERVER4
        curl = ["curl", "-sS", "--http1.1", "-o", "/dev/null"]
        L.run_ns(L.cns, curl + ["--data", "name=tcpfollow&note=a+small+form&n=1", url + "/form"])
        L.run_ns(L.cns, curl + ["-H", "Expect: 100-continue", "-H", "Content-Type: application/octet-stream",
                                "--data-binary", "@" + up1, url + "/up40000.bin"])
        L.run_ns(L.cns, curl + ["-H", "Transfer-Encoding: chunked", "-H", "Content-Type: application/octet-stream",
                                "--data-binary", "@" + up2, url + "/up25000.bin"])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        uploads = [o for o in objs if o["direction"] == "request"]
        want = [lab.sha256_bytes(b"name=tcpfollow&note=a+small+form&n=1"),
                lab.sha256_file(up1), lab.sha256_file(up2)]
        if [o["sha256"] for o in uploads] != want:
            raise SystemExit("server did not receive the uploads intact")
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
