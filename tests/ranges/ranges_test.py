"""Partial content through tcpfollow: corpus/http/ranges.pcap holds ranged24000.bin fetched
in five ranges over three connections (one answer multipart/byteranges with two parts),
holey6000.bin fetched as 0-1999 and 4000-5999 over two connections (IPv4 and IPv6), a
plain 200 of whole3000.bin, and resume8000.bin cut after 4000 bytes and resumed with
curl -C - (a 206 for 4000-7999). The file bytes come from corpus/http/ranges_server.py, the
server that answered. Checked, with 1 and with 3 worker threads:
  - ranged24000.bin is one object, complete, its sha256 the file's, its bytes the file's,
    total_length 24000, and every 206 record for it names that one fuid (resp_fuids);
    its uids name the three connections;
  - holey6000.bin is one object, incomplete, missing_ranges [[2000, 3999]], no sha256,
    the bytes it has at their offsets;
  - resume8000.bin: the cut 200 is an object of its own (partial, 4000 bytes), and the
    stitched object, started with the cut answer's bytes, is the file (sha256);
  - no object of its own for any single range; the 200 is an ordinary whole object;
  - stats.json counts the ranges (output.ranges).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def records(outdir, log):
    path = os.path.join(outdir, log + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def check(tool, pcap, file_bytes, threads):
    problems = []

    def expect(cond, what):
        if not cond:
            problems.append("threads %d: %s" % (threads, what))

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        subprocess.run([tool, "-q", "-r", pcap, "-o", out, "--threads", str(threads)], check=True)
        files = records(out, "files")
        http = records(out, "http")
        by_name = {}
        for f in files:
            by_name.setdefault(f.get("name"), []).append(f)

        ranged = file_bytes("ranged24000.bin")
        objs = by_name.get("ranged24000.bin", [])
        expect(len(objs) == 1, "ranged24000.bin: %d objects, want 1 stitched: %s" % (len(objs), objs))
        if len(objs) == 1:
            o = objs[0]
            expect(o.get("complete") is True, "ranged24000.bin not complete: %s" % o)
            expect(o.get("sha256") == hashlib.sha256(ranged).hexdigest(),
                   "ranged24000.bin sha256 %s, the file's is %s" %
                   (o.get("sha256"), hashlib.sha256(ranged).hexdigest()))
            expect(o.get("total_length") == len(ranged) and o.get("size") == len(ranged),
                   "ranged24000.bin sizes: %s" % o)
            expect("missing_ranges" not in o, "complete object lists missing ranges: %s" % o)
            expect(len(o.get("uids", [])) == 3, "ranged24000.bin uids: %s" % o.get("uids"))
            with open(os.path.join(out, o["path"]), "rb") as f:
                expect(f.read() == ranged, "objects file of ranged24000.bin is not the file")
            answers = [r for r in http if r.get("uri") == "/files/ranged24000.bin"]
            expect(len(answers) == 4 and all(r.get("status_code") == 206 for r in answers),
                   "ranged24000.bin: %d http records: %s" % (len(answers), answers))
            expect(all(r.get("resp_fuids") == [o["fuid"]] for r in answers),
                   "206 records do not all name the stitched object %s: %s" %
                   (o["fuid"], [r.get("resp_fuids") for r in answers]))
            expect(len({r["uid"] for r in answers}) == 3, "206 answers not on 3 connections")

        holey = file_bytes("holey6000.bin")
        objs = by_name.get("holey6000.bin", [])
        expect(len(objs) == 1, "holey6000.bin: %d objects, want 1: %s" % (len(objs), objs))
        if len(objs) == 1:
            o = objs[0]
            expect(o.get("complete") is False, "holey6000.bin complete? %s" % o)
            expect(o.get("missing_ranges") == [[2000, 3999]],
                   "holey6000.bin missing_ranges %s, want [[2000, 3999]]" % o.get("missing_ranges"))
            expect(o.get("total_length") == 6000 and o.get("size") == 4000,
                   "holey6000.bin sizes: %s" % o)
            expect("sha256" not in o, "incomplete object has a sha256: %s" % o)
            with open(os.path.join(out, o["path"]), "rb") as f:
                got = f.read()
            expect(got[:2000] == holey[:2000] and got[4000:] == holey[4000:],
                   "holey6000.bin: received bytes not at their offsets")
            expect(got[2000:4000] == bytes(2000), "holey6000.bin: the hole is not zeros")

        whole = by_name.get("whole3000.bin", [])
        expect(len(whole) == 1 and whole[0].get("sha256") ==
               hashlib.sha256(file_bytes("whole3000.bin")).hexdigest() and
               "complete" not in whole[0], "whole3000.bin: %s" % whole)
        resume = file_bytes("resume8000.bin")
        objs = by_name.get("resume8000.bin", [])
        stitched = [o for o in objs if o.get("stitched")]
        cut = [o for o in objs if not o.get("stitched")]
        expect(len(stitched) == 1 and stitched[0].get("complete") is True and
               stitched[0].get("sha256") == hashlib.sha256(resume).hexdigest() and
               len(stitched[0].get("uids", [])) == 2,
               "resume8000.bin stitched: %s" % stitched)
        expect(len(cut) == 1 and cut[0].get("partial") is True and cut[0].get("size") == 4000 and
               cut[0].get("sha256") == hashlib.sha256(resume[:4000]).hexdigest(),
               "resume8000.bin cut 200: %s" % cut)
        answers = [r for r in http if r.get("uri") == "/files/resume8000.bin"]
        expect([r.get("status_code") for r in answers] == [200, 206] and stitched and cut and
               answers[0].get("resp_fuids") == [cut[0]["fuid"]] and
               answers[1].get("resp_fuids") == [stitched[0]["fuid"]],
               "resume8000.bin http records: %s" % answers)
        expect(len(files) == 5, "%d objects, want 5 (no object per range): %s" %
               (len(files), [(f.get("name"), f.get("size")) for f in files]))

        with open(os.path.join(out, "stats.json")) as f:
            ranges = json.load(f)["output"].get("ranges", {})
        expect(ranges.get("pieces") == 9 and ranges.get("resources") == 3 and
               ranges.get("complete") == 2 and ranges.get("incomplete") == 1,
               "stats.json output.ranges: %s" % ranges)
    return problems


def main():
    tool = os.path.realpath(sys.argv[1])
    root = os.path.dirname(os.path.realpath("WORKSPACE"))
    corpus = os.path.join(root, "corpus", "http")
    pcap = os.path.join(corpus, "ranges.pcap")
    if not os.path.exists(pcap):
        print("FAIL: missing %s" % pcap)
        return 1
    sys.path.insert(0, corpus)
    from ranges_server import file_bytes  # the server's own bytes
    problems = []
    for threads in (1, 3):
        problems += check(tool, pcap, file_bytes, threads)
    for p in problems:
        print("FAIL", p)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
