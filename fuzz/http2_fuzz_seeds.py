#!/usr/bin/python3
"""Writes corpus/fuzz/http2_fuzz/ seeds from the corpus/http2 cleartext captures.

Each TCP connection's payload, in the order tshark's "follow tcp raw" gives it, becomes
records [direction][length][bytes] (fuzz/fuzz_input.h) after a mode byte (http2_fuzz.cc);
records are cut at 2048 bytes and a seed at about 8 KB, so the seeds stay small. Variants: the
capture as is; with a gap record in the middle of the server side; joined mid-way (mode
bit 0, the first records dropped); the h2c capture's HTTP/2 part with the upgrade mode.
"""
import os
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SRC = os.path.join(ROOT, "corpus", "http2")
OUT = os.path.join(ROOT, "corpus", "fuzz", "http2_fuzz")


def follow(pcap, index):
    out = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "follow,tcp,raw,%d" % index],
                         capture_output=True, text=True, check=True).stdout
    chunks = []
    for line in out.splitlines():
        if not line.strip() or line.startswith(("=", "Follow", "Filter", "Node")):
            continue
        d = 1 if line.startswith("\t") else 0
        chunks.append((d, bytes.fromhex(line.strip())))
    return chunks


def records(chunks, limit=8 * 1024):
    out = b""
    for d, b in chunks:
        for i in range(0, len(b), 2048):
            part = b[i:i + 2048]
            rec = struct.pack(">BH", d, len(part)) + part
            if len(out) + len(rec) > limit:
                return out
            out += rec
    return out


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in ["prior", "push", "post", "abort"]:
        pcap = os.path.join(SRC, name + ".pcap")
        for index in range(3):
            chunks = follow(pcap, index)
            if not chunks:
                break
            tag = "%s_%d" % (name, index)
            write(tag, b"\x00" + records(chunks))
            half = len(chunks) // 2
            gap = struct.pack(">BH", 0x81, 1000)
            write(tag + "_gap", b"\x00" + records(chunks[:half], 4096) + gap + records(chunks[half:], 4096))
            write(tag + "_midstream", b"\x01" + records(chunks[2:]))
    chunks = follow(os.path.join(SRC, "h2c.pcap"), 0)
    # Drop the HTTP/1.1 request and the 101 head: the analyzer starts after them.
    c = b"".join(b for d, b in chunks if d == 0)
    s = b"".join(b for d, b in chunks if d == 1)
    c = c[c.index(b"\r\n\r\n") + 4:]
    s = s[s.index(b"\r\n\r\n") + 4:]
    write("h2c_upgrade", b"\x04" + records([(0, c), (1, s)]))
    # The same server bytes as lone HPACK blocks too (bit 0x20).
    write("h2c_hpack", b"\x06" + records([(0x20 | 1, s[:512])]))


if __name__ == "__main__":
    main()
