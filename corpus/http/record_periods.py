#!/usr/bin/python3
"""Records http/periods.pcap: three HTTP connections 1.2 s apart, for --rotate 1.

curl fetches one small text object per connection (/obj/period1_300.txt, then
period2_, period3_), each on its own connection, with 1.2 s between them, so that a
run with `--rotate 1` puts each connection in another one-second period: three
rotated logs of each kind. tests/cli/cli_test.py checks that report.html covers the
whole run (every period's transactions), not only the last period's logs. Lab
namespaces rotate-*, port 21080; no loss.
"""
import os
import sys
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "periods"
HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 21080


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="rotate") as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [lab.HTTP_SERVER, "--port", str(PORT), "--objects", objects],
                 background=True)
        L.wait_listen(L.sns, PORT)
        L.start_capture(pcap)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        files = []
        for i in (1, 2, 3):
            if i > 1:
                time.sleep(1.2)
            files.append(os.path.join(dl, str(i)))
            L.run_ns(L.cns, ["curl", "-sS", "--http1.1", "--fail", "-o", files[-1],
                             "http://%s:%d/obj/period%d_300.txt" % (lab.SERVER4, PORT, i)])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        lab.check_downloads(objs, files)
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
