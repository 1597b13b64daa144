#!/usr/bin/python3
"""Writes the multipart_fuzz seeds that reach ByteRangesParser's own paths
(corpus/fuzz/multipart_fuzz/byteranges_*): parts with Content-Range, a part without one,
an invalid range, padding and junk after a boundary, a gap inside a part of known length (a
hole) and one across a delimiter (the part ends). The harness feeds each input to both
parsers, so these also run as form-data bodies. Input: a boundary line, then records
[flags][length:2 big-endian][bytes] (fuzz/fuzz_input.h); flag 0x80 makes the record a gap
of its length (its bytes of input skipped).
usage: fuzz/multipart_fuzz_seeds.py   (from the checkout)"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "fuzz",
                   "multipart_fuzz")


def rec(data):
    return bytes([0]) + struct.pack(">H", len(data)) + data


def gap(n):
    return bytes([0x80]) + struct.pack(">H", n) + bytes(n)


def part(first, last, total=b"40", data=None, pad=b""):
    data = b"x" * (last - first + 1) if data is None else data
    return (b"\r\n--B" + pad + b"\r\nContent-Type: text/plain\r\nContent-Range: bytes %d-%d/"
            % (first, last) + total + b"\r\n\r\n" + data)


def main():
    seeds = {}
    body = (b"preamble" + part(0, 9, data=b"0123456789") + part(10, 19, pad=b" \t")
            + b"\r\n--B-junk\r\nContent-Range: bytes 20-29/40\r\n\r\nlost"
            + b"\r\n--B\r\nContent-Range: bytes 9-0/40\r\nno colon\r\n\r\nbad"
            + part(30, 39, total=b"*") + b"\r\n--B--\r\nepilogue")
    seeds["byteranges_parts"] = b"B\n" + rec(body[:70]) + rec(body[70:150]) + rec(body[150:])
    hole = part(0, 9, total=b"10", data=b"")
    seeds["byteranges_gap_hole"] = (b"B\n" + rec(hole + b"0123") + gap(3) + rec(b"789\r\n--B--"))
    cut = part(0, 3, total=b"20", data=b"")
    seeds["byteranges_gap_cut"] = (b"B\n" + rec(cut + b"01") + gap(40)
                                   + rec(b"junk" + part(10, 11, total=b"20", data=b"xy")
                                         + b"\r\n--B--\r\n"))
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
