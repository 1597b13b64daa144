#!/usr/bin/python3
"""Records http/chunked_gzip.pcap: chunked, gzip and gzip+chunked responses on one connection, 6% loss per hop.

curl (--compressed, one keep-alive connection) fetches: a chunked 9 kB binary (chunk
sizes 1, 100, 4096 (with a chunk extension), 7, 2000, ..., then a trailer
X-Body-Sha256), a gzip 20 kB text with Content-Length, a gzip+chunked 16 kB text,
and a chunked 700-byte text (fewer bytes than the first chunk sizes add up to).
The manifest's objects are the decoded bodies (no chunking, no gzip).
"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "chunked_gzip"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=6) as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [lab.HTTP_SERVER, "--objects", objects], background=True)
        L.wait_listen(L.sns, 8080)
        L.start_capture(pcap)
        base = "http://%s:8080" % lab.SERVER4
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        L.run_ns(L.cns, ["curl", "-sS", "--http1.1", "--compressed",
                         "-o", dl + "/1", base + "/chunked/k9000.bin",
                         "-o", dl + "/2", base + "/gzip/g20000.txt",
                         "-o", dl + "/3", base + "/gzipchunked/z16000.txt",
                         "-o", dl + "/4", base + "/chunked/s700.txt"])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        lab.check_downloads(objs, [dl + "/%d" % i for i in (1, 2, 3, 4)])
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
