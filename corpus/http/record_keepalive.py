#!/usr/bin/python3
"""Records http/keepalive.pcap: curl fetches several objects over one keep-alive connection, 3% loss per hop.

One TCP connection (curl reuses it across --next): GET of a 30 kB binary, a 6 kB
text and a 12 kB binary with Content-Length, HEAD of an object (headers only,
Content-Length but no body), GET of a missing path (404 with a small HTML body),
and a last GET. A second connection (IPv6) fetches one more object. The manifest
lists each response body the server sent (decoded) with its URL and status.
"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "keepalive"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=3) as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [lab.HTTP_SERVER, "--objects", objects], background=True)
        L.wait_listen(L.sns, 8080)
        L.start_capture(pcap)
        base = "http://%s:8080" % lab.SERVER4
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        L.run_ns(L.cns, ["curl", "-sS", "--http1.1", "--fail-early",
                         "-o", dl + "/1", base + "/obj/a30000.bin",
                         "-o", dl + "/2", base + "/obj/t6000.txt",
                         "-o", dl + "/3", base + "/obj/b12000.bin",
                         "--next", "-sS", "-I", "-o", dl + "/4", base + "/obj/h9000.bin",
                         "--next", "-sS", "-o", dl + "/5", base + "/missing/page.html",
                         "--next", "-sS", "-o", dl + "/6", base + "/obj/c4000.bin"])
        L.run_ns(L.cns, ["curl", "-sS", "-g", "-o", dl + "/7", "http://[%s]:8080/obj/v6_8000.bin" % lab.SERVER6])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        lab.check_downloads(objs, [dl + "/%d" % i for i in (1, 2, 3, 5, 6, 7)], skip_head=True)
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
