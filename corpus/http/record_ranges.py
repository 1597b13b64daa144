#!/usr/bin/python3
"""Records http/ranges.pcap: curl fetches files in byte ranges over several connections (206, one multipart/byteranges answer), one with a range never fetched, one resumed after a cut.

ranges_server.py (port 22080) answers Range requests with ETag and Last-Modified.
ranged24000.bin (24000 bytes) is fetched whole in pieces: connection 1 asks
`-r 0-99,200-299` (one 206 multipart/byteranges answer with two parts) and then,
keep-alive, `-r 100-199`; connection 2 `-r 300-11999`; connection 3 `-r 12000-` (open
ended). Stitched by offset they are the file: the manifest lists its sha256 as an object.
holey6000.bin (6000 bytes) is fetched `-r 0-1999` over IPv4 and `-r 4000-5999` over IPv6
(same host name, through curl --resolve): bytes 2000-3999 are never sent, so its stitched
object is incomplete with missing range [2000, 3999]. A plain GET of whole3000.bin (200)
shows whole answers unchanged. resume8000.bin is a download cut after 4000 bytes (the
server closes the connection) and resumed with `curl -C -` (`Range: bytes=4000-`): the cut
200 is an object of its own, and the stitched object, started with its bytes, is the file.
Client ports are 22100-22199, the server's 22080.
"""
import hashlib
import json
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ranges_server  # noqa: E402

NAME = "ranges"
HERE = os.path.dirname(os.path.abspath(__file__))
PORT = 22080
HOST = "files.test"


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="ranges", loss=0) as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [os.path.join(HERE, "ranges_server.py"), "--port", str(PORT),
                                   "--objects", objects], background=True)
        L.wait_listen(L.sns, PORT)
        L.start_capture(pcap)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        v4 = ["--resolve", "%s:%d:%s" % (HOST, PORT, lab.SERVER4)]
        v6 = ["--resolve", "%s:%d:[%s]" % (HOST, PORT, lab.SERVER6)]
        url = "http://%s:%d/files/" % (HOST, PORT)

        def curl(local_port, args):
            L.run_ns(L.cns, ["curl", "-sS", "--http1.1", "--local-port", str(local_port)] + args)

        curl(22101, v4 + ["-r", "0-99,200-299", "-o", dl + "/a1", url + "ranged24000.bin",
                          "--next", "-sS", "--http1.1", "--local-port", "22101"] + v4 +
             ["-r", "100-199", "-o", dl + "/a2", url + "ranged24000.bin"])
        curl(22102, v4 + ["-r", "300-11999", "-o", dl + "/a3", url + "ranged24000.bin"])
        curl(22103, v4 + ["-r", "12000-", "-o", dl + "/a4", url + "ranged24000.bin"])
        curl(22104, v4 + ["-r", "0-1999", "-o", dl + "/b1", url + "holey6000.bin"])
        curl(22105, v6 + ["-r", "4000-5999", "-o", dl + "/b2", url + "holey6000.bin"])
        curl(22106, v4 + ["-o", dl + "/c", url + "whole3000.bin"])
        # Cut: curl exits 18 (partial file), then resumes from the size it has.
        L.run_ns(L.cns, ["curl", "-sS", "--http1.1", "--local-port", "22107"] + v4 +
                 ["-o", dl + "/d", url + "resume8000.bin"], check=False)
        curl(22108, v4 + ["-C", "-", "-o", dl + "/d", url + "resume8000.bin"])
        L.stop_capture()
        L.stop_all()

        ranged = ranges_server.file_bytes("ranged24000.bin")
        holey = ranges_server.file_bytes("holey6000.bin")
        whole = ranges_server.file_bytes("whole3000.bin")
        resume = ranges_server.file_bytes("resume8000.bin")
        # What curl saved is what the server meant to send.
        expect = {"a2": ranged[100:200], "a3": ranged[300:12000], "a4": ranged[12000:],
                  "b1": holey[:2000], "b2": holey[4000:], "c": whole, "d": resume}
        for f, want in expect.items():
            with open(os.path.join(dl, f), "rb") as fh:
                if fh.read() != want:
                    raise SystemExit("download %s differs from the file's range" % f)
        with open(os.path.join(dl, "a1"), "rb") as fh:
            multipart = fh.read()
        if ranged[:100] not in multipart or ranged[200:300] not in multipart:
            raise SystemExit("the multipart answer lacks its ranges")
        served = lab.read_objects(objects)
        if [o["status"] for o in served] != [206, 206, 206, 206, 206, 206, 200, 200, 206]:
            raise SystemExit("unexpected answers: %s" % json.dumps(served))
        objs = [
            lab.obj("http", ranged, name="ranged24000.bin", url="/files/ranged24000.bin",
                    stitched_from=[[0, 99], [200, 299], [100, 199], [300, 11999], [12000, 23999]]),
            lab.obj("http", whole, name="whole3000.bin", url="/files/whole3000.bin", status=200),
            lab.obj("http", resume, name="resume8000.bin", url="/files/resume8000.bin",
                    stitched_from=[[0, 3999], [4000, 7999]]),
            lab.obj("http", resume[:4000], name="resume8000.bin", url="/files/resume8000.bin",
                    status=200, cut=True),
        ]
        notes = ("holey6000.bin (sha256 %s, 6000 bytes) is fetched as 0-1999 and 4000-5999 "
                 "only: its stitched object is incomplete, missing [2000, 3999]"
                 % hashlib.sha256(holey).hexdigest())
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs, notes=notes)


if __name__ == "__main__":
    main()
