#!/usr/bin/python3
"""Small, valid, deterministic image and text objects for the MIME recordings (no PIL).

png(): a 16x16 RGBA gradient; gif(): a 1x1 GIF89a; jpeg(): an 8x8 grey baseline JPEG
(one DC and one AC Huffman code: every block is DC 0, end of block); html(), text().
Imported by record_mime_types.py and record_form_upload*.py; not a test.
"""
import struct
import zlib


def png():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xffffffff)
    raw = b"".join(b"\0" + b"".join(bytes((x * 16, y * 16, 128, 255)) for x in range(16))
                   for y in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 6, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def gif():
    # 1x1, one transparent pixel: the smallest GIF browsers decode.
    return (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
            b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00"
            b"\x02\x02D\x01\x00;")


def jpeg():
    dht = lambda cls: b"\xff\xc4\x00\x14" + bytes([cls]) + b"\x01" + b"\x00" * 15 + b"\x00"
    return (b"\xff\xd8" +
            b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" +
            b"\xff\xdb\x00\x43\x00" + b"\x01" * 64 +
            b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00" +
            dht(0x00) + dht(0x10) +
            b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" +
            b"\x3f" +  # DC code 0 (diff 0), AC code 0 (EOB), padded with ones
            b"\xff\xd9")


def html():
    rows = "".join("<li>segment %d of the stream</li>\n" % i for i in range(40))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
            "<title>tcpfollow MIME sample</title></head>\n<body>\n<h1>Objects</h1>\n<ul>\n%s"
            "</ul>\n</body>\n</html>\n" % rows).encode()


def text():
    return b"".join(b"line %d: plain words about reassembly and windows and gaps\n" % i
                    for i in range(30))
