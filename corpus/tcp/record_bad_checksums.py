#!/usr/bin/python3
"""Records tcp/bad_checksums.pcap: segments whose TCP checksum is wrong, as a capture taken on an offloading host shows them, IPv4, no loss.

Raw-socket peers (corpus/record/scripted_peers.py) play one HTTP exchange: a GET, then
the answer in three segments (head, two body halves). Afterwards the checksums of the
first body half and of the request are made wrong in the capture (the endpoints got
them intact: this is what offloading leaves in a capture taken on the sender). By
default tcpfollow counts them (bad_checksums 2) and keeps them: streams and the object
are whole. tcp/bad_checksums_verify.manifest.json runs the same capture with
--verify-checksums: both segments are dropped, as Zeek drops them by default.
"""
import json
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    body = b"".join(b"checksum test line %03d\n" % i for i in range(60))
    half = len(body) // 2
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
    req = b"GET /offload.txt HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n"
    steps = [("c", req), ("s", head), ("s", body[:half]), ("s", body[half:])]
    script = [{"port": 22301, "steps": [[w, d.hex()] for w, d in steps], "close": "c"}]
    corrupt = [(0, 0), (0, 2)]
    lab.record_script(HERE, "bad_checksums", __doc__.splitlines()[0], script,
                      objects=[lab.obj("http", body, name="offload.txt")], corrupt=corrupt)
    # The same capture with --verify-checksums: the two segments are lost to tcpfollow.
    with open(os.path.join(HERE, "bad_checksums.manifest.json")) as f:
        m = json.load(f)
    m["description"] = ("tcp/bad_checksums.pcap read with --verify-checksums: the two "
                        "segments with wrong checksums are dropped")
    m["connections"][0]["captured"] = lab.captured_streams(script[0], {si for _, si in corrupt})
    m["objects"] = []
    lab.write_manifest(m, os.path.join(HERE, "bad_checksums_verify.manifest.json"))
    with open(os.path.join(HERE, "bad_checksums_verify.args"), "w") as f:
        f.write("--verify-checksums\n")


if __name__ == "__main__":
    main()
