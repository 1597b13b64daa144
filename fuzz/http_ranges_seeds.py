#!/usr/bin/python3
"""Writes the http_fuzz seeds that reach 206 handling (corpus/fuzz/http_fuzz/range_*):
single ranges completing a file over several transactions, a multipart/byteranges answer,
a gap inside a range, ranges of two ETags, and a total unknown ("*"). Records are
[direction][length:2 big-endian][bytes] (fuzz/fuzz_input.h): direction 0 client, 1
server, 0x81 a gap of length+1 bytes on the server side (its length bytes of input skipped).
usage: fuzz/http_ranges_seeds.py   (from the checkout)"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "fuzz", "http_fuzz")
FILE = bytes((i * 37 + 11) % 251 for i in range(300))


def rec(direction, data):
    return bytes([direction]) + struct.pack(">H", len(data)) + data


def gap(n):
    # The harness skips a gap record's length bytes of input and reports length + 1.
    return bytes([0x81]) + struct.pack(">H", n - 1) + bytes(n - 1)


def req(rng):
    return rec(0, b"GET /f.bin HTTP/1.1\r\nHost: h\r\nRange: bytes=" + rng + b"\r\n\r\n")


def single(a, b, total=b"300", etag=b'"e1"', body=None):
    body = FILE[a:b + 1] if body is None else body
    head = (b"HTTP/1.1 206 Partial Content\r\nETag: " + etag + b"\r\nContent-Range: bytes %d-%d/"
            % (a, b) + total + b"\r\nContent-Length: %d\r\n\r\n" % (b - a + 1))
    return head, body


def multipart(ranges):
    body = b""
    for a, b in ranges:
        body += b"\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes %d-%d/300\r\n\r\n" % (a, b)
        body += FILE[a:b + 1]
    body += b"\r\n--B--\r\n"
    return (b"HTTP/1.1 206 Partial Content\r\nLast-Modified: Wed, 31 Dec 2025 12:00:00 GMT\r\n"
            b"Content-Type: multipart/byteranges; boundary=B\r\nContent-Length: %d\r\n\r\n"
            % len(body) + body)


def main():
    seeds = {}
    h1, b1 = single(0, 99)
    h2, b2 = single(100, 299)
    seeds["range_single"] = req(b"0-99") + rec(1, h1 + b1) + req(b"100-299") + rec(1, h2 + b2)
    seeds["range_multipart"] = req(b"0-9,20-29,15-24") + rec(1, multipart([(0, 9), (20, 29), (15, 24)]))
    h, b = single(0, 199)
    seeds["range_gap"] = req(b"0-199") + rec(1, h + b[:50]) + gap(30) + rec(1, b[80:])
    ha, ba = single(0, 9, etag=b'"a"')
    hb, bb = single(0, 9, etag=b'"b"', body=b"X" * 10)
    seeds["range_two_etags"] = req(b"0-9") + rec(1, ha + ba) + req(b"0-9") + rec(1, hb + bb)
    hs, bs = single(5, 14, total=b"*")
    seeds["range_total_unknown"] = req(b"5-14") + rec(1, hs + bs)
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
