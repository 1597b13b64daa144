#!/usr/bin/python3
"""Writes pcapng (and compressed) seeds for fuzz/capture_reader_fuzz and fuzz/pcapng_fuzz.

Each seed is a small hand-built file exercising one part of the pcapng reader: one or several
interfaces (link types, snaplens, if_tsresol decimal and binary, if_tsoffset), EPB, SPB and
the obsolete PB, Decryption Secrets Blocks, unknown blocks, byte-swapped and several
sections, and a gzip/zstd/xz-compressed copy of a classic pcap.
usage: tins_ext/make_capture_fuzz_seeds.py corpus/fuzz/capture_reader_fuzz corpus/fuzz/pcapng_fuzz
(pcapng_fuzz puts its own section header in front: its seeds are the pcapng seeds without
their first 28 bytes, and no compressed ones)
"""
import gzip
import lzma
import os
import struct
import subprocess
import sys


def ip_tcp(i, dport=80, payload=b""):
    total = 40 + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, i, 0, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    tcp = struct.pack(">HHIIBBHHH", 1000 + i, dport, i, 0, 0x50, 0x18, 65535, 0, 0)
    return ip + tcp + payload


def eth(frame):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + frame


class Pcapng:
    def __init__(self):
        self.out = b""
        self.e = "<"

    def block(self, t, body):
        body += b"\0" * ((4 - len(body) % 4) % 4)
        n = len(body) + 12
        self.out += struct.pack(self.e + "II", t, n) + body + struct.pack(self.e + "I", n)
        return self

    def section(self, swapped=False):
        self.e = ">" if swapped else "<"
        return self.block(0x0A0D0D0A, struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1))

    def interface(self, link, snaplen, tsresol=None, tsoffset=None):
        b = struct.pack(self.e + "HHI", link, 0, snaplen)
        if tsresol is not None:
            b += struct.pack(self.e + "HH", 9, 1) + bytes([tsresol]) + b"\0\0\0"
        if tsoffset is not None:
            b += struct.pack(self.e + "HHq", 14, 8, tsoffset)
        b += struct.pack(self.e + "HH", 0, 0)
        return self.block(1, b)

    def epb(self, iface, ts, data):
        return self.block(6, struct.pack(self.e + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF,
                                         len(data), len(data)) + data)

    def spb(self, data):
        return self.block(3, struct.pack(self.e + "I", len(data)) + data)

    def pb(self, iface, ts, data):
        return self.block(2, struct.pack(self.e + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF,
                                         len(data), len(data)) + data)

    def dsb(self, text):
        return self.block(0x0A, struct.pack(self.e + "II", 0x544C534B, len(text)) + text)


def classic_pcap(n):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i in range(n):
        f = eth(ip_tcp(i, payload=bytes(range(i * 7 % 60))))
        out += struct.pack("<IIII", 1600000000 + i, i, len(f), len(f)) + f
    return out


def seeds():
    s = {}
    s["ng_single_us.pcapng"] = (Pcapng().section().interface(1, 65535)
                                .epb(0, 1600000000123456, eth(ip_tcp(1)))
                                .epb(0, 1600000000123457, eth(ip_tcp(2, 443))).out)
    s["ng_resolutions.pcapng"] = (Pcapng().section().interface(1, 0, 9, -3)
                                  .epb(0, 1600000000123456789, eth(ip_tcp(1)))
                                  .section().interface(1, 0, 0x80 | 20, 7)
                                  .epb(0, (1600000000 << 20) | 12345, eth(ip_tcp(2))).out)
    s["ng_swapped_spb_pb.pcapng"] = (Pcapng().section(True).interface(101, 96)
                                     .spb(ip_tcp(3)).pb(0, 77, ip_tcp(4))
                                     .block(0x0BAD, b"unknown").epb(0, 5, ip_tcp(5)).out)
    s["ng_multi_interface.pcapng"] = (Pcapng().section().interface(101, 0).interface(1, 64, 9)
                                      .interface(113, 262144, 6)
                                      .dsb(b"CLIENT_RANDOM 00 11\n")
                                      .epb(0, 10, ip_tcp(1)).epb(1, 20, eth(ip_tcp(2)))
                                      .epb(2, 30, b"\0\0\0\x01\0\x06\x02\0\0\0\0\x01\0\0\x08\x00"
                                           + ip_tcp(3)).out)
    s["ng_mixed_byte_order.pcapng"] = (Pcapng().section().interface(1, 0).epb(0, 1, eth(ip_tcp(1)))
                                       .section(True).interface(1, 0)
                                       .epb(0, 2, eth(ip_tcp(2))).out)
    nflog = (b"\x02\x00\x00\x00" + struct.pack("<HH", 8, 1) + b"\x08\x00\x01\x00"
             + struct.pack("<HH", 4 + 40, 9) + ip_tcp(6))
    s["ng_nflog.pcapng"] = Pcapng().section().interface(239, 0).epb(0, 1, nflog).out
    cut = Pcapng().section().interface(1, 0).epb(0, 1, eth(ip_tcp(1))).epb(0, 2, eth(ip_tcp(2))).out
    s["ng_cut.pcapng"] = cut[:-9]
    plain = classic_pcap(8)
    s["pcap.gz"] = gzip.compress(plain, mtime=0)
    s["pcap.xz"] = lzma.compress(plain)
    try:
        s["pcap.zst"] = subprocess.run(["zstd", "-q", "-c"], input=plain, check=True,
                                       capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pass
    return s


def main():
    for d in sys.argv[1:]:
        os.makedirs(d, exist_ok=True)
        ng_only = os.path.basename(os.path.normpath(d)) == "pcapng_fuzz"
        for name, data in seeds().items():
            if ng_only:
                if not name.endswith(".pcapng"):
                    continue
                name, data = name[:-len(".pcapng")], data[28:]
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
