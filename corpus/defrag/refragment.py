#!/usr/bin/python3
"""Re-fragments every IPv4 and IPv6 packet of a capture, for end-to-end defrag tests.

Each IP datagram with at least 24 bytes of fragmentable payload is cut into 3-5 fragments
(boundaries multiples of 8) which are written in shuffled order, with some fragments
duplicated; the link layer (Ethernet, VLAN tags, Linux SLL, raw IP) is kept on every
fragment. Packets too short to cut, and non-IP frames, are copied unchanged. Timestamps:
a datagram's fragments take the original packet's timestamp plus 1 microsecond steps, so
the order of datagrams is kept and only fragments within one datagram are shuffled.

IPv4: the identification is replaced by a counter (so that no two datagrams in flight
share one, whatever the capture used, e.g. id 0 with DF), DF is cleared, the checksum is
recomputed. IPv6: a Fragment header is inserted after the unfragmentable extension headers
(Hop-by-Hop, Routing, and Destination Options before Routing), with a 32-bit counter as
identification. Reassembled, every datagram is byte-identical to the original except for
the IPv4 identification/DF/checksum, so the TCP streams are identical.

Usage: refragment.py IN.pcap OUT.pcap [--seed N] [--dup-rate 0.2] [--min 3] [--max 5]
Needs python3-scapy (Debian package).
"""
import argparse
import random
import struct
import sys

from scapy.all import PcapReader  # reads pcap and pcapng (scapy 2.5)

HOP_BY_HOP, ROUTING, FRAGMENT, DEST_OPTS = 0, 43, 44, 60


def ip_offset(frame: bytes, linktype: int):
    """Offset of the IP header in the frame, or None."""
    if linktype == 1:  # Ethernet
        pos = 12
        while frame[pos:pos + 2] in (b"\x81\x00", b"\x88\xa8", b"\x91\x00"):
            pos += 4
        etype = frame[pos:pos + 2]
        return pos + 2 if etype in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 113:  # Linux SLL
        return 16 if frame[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 276:  # Linux SLL2
        return 20 if frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype in (12, 14, 101, 228, 229):
        return 0
    if linktype in (0, 108):  # BSD / OpenBSD loopback: 4-byte address family
        return 4 if len(frame) > 4 and frame[4] >> 4 in (4, 6) else None
    return None


def cut_points(length: int, rng: random.Random, lo: int, hi: int):
    """3-5 (lo..hi) pieces of the fragmentable part, every boundary a multiple of 8."""
    units = (length - 1) // 8  # boundaries possible at 8, 16, ..., 8*units
    n = min(rng.randint(lo, hi), units + 1)
    cuts = sorted(rng.sample(range(1, units + 1), n - 1))
    return [0] + [c * 8 for c in cuts] + [length]


def fragment_v4(ip: bytes, pieces, ident: int):
    hl = (ip[0] & 0x0F) * 4
    total = struct.unpack(">H", ip[2:4])[0]
    payload = ip[hl:total]
    out = []
    for i in range(len(pieces) - 1):
        a, b = pieces[i], pieces[i + 1]
        h = bytearray(ip[:hl])
        struct.pack_into(">H", h, 2, hl + (b - a))
        struct.pack_into(">H", h, 4, ident)
        flags = 0x2000 if i + 2 < len(pieces) else 0
        struct.pack_into(">H", h, 6, flags | (a // 8))
        struct.pack_into(">H", h, 10, 0)
        s = sum(struct.unpack(">%dH" % (hl // 2), bytes(h)))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        struct.pack_into(">H", h, 10, ~s & 0xFFFF)
        out.append(bytes(h) + payload[a:b])
    return out


def v6_unfragmentable(ip: bytes):
    """(length of the unfragmentable part, offset of the next-header byte naming the
    first fragmentable header, that header's value). RFC 8200 4.5: Hop-by-Hop, Routing,
    and Destination Options followed by a Routing header are unfragmentable."""
    nh, nh_at, pos = ip[6], 6, 40
    while pos + 2 <= len(ip) and (nh in (HOP_BY_HOP, ROUTING) or
                                  (nh == DEST_OPTS and ip[pos] == ROUTING)):
        nh_at, nh, pos = pos, ip[pos], pos + (ip[pos + 1] + 1) * 8
    return pos, nh_at, nh


def fragment_v6(ip: bytes, ident: int, rng, lo, hi):
    plen = struct.unpack(">H", ip[4:6])[0]
    ip = ip[:40 + plen]
    unfrag, nh_at, nh = v6_unfragmentable(ip)
    body = ip[unfrag:]
    if len(body) < 24:
        return None
    pieces = cut_points(len(body), rng, lo, hi)
    out = []
    for i in range(len(pieces) - 1):
        a, b = pieces[i], pieces[i + 1]
        head = bytearray(ip[:unfrag])
        head[nh_at] = FRAGMENT
        mf = 1 if i + 2 < len(pieces) else 0
        fh = struct.pack(">BBHI", nh, 0, a | mf, ident)
        struct.pack_into(">H", head, 4, unfrag - 40 + 8 + (b - a))
        out.append(bytes(head) + fh + body[a:b])
    return out


class PcapOut:
    """Minimal classic-pcap writer (microsecond timestamps)."""

    def __init__(self, path, linktype):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))

    def write(self, frame, t_us):
        self.f.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(frame),
                                 len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dup-rate", type=float, default=0.2,
                    help="chance that each fragment is also sent a second time")
    ap.add_argument("--min", type=int, default=3)
    ap.add_argument("--max", type=int, default=5)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    reader = PcapReader(args.input)
    linktype = reader.linktype
    writer = PcapOut(args.output, linktype)
    ident4, ident6 = 1, 1
    last_us = 0  # timestamps written stay non-decreasing
    counts = {"packets": 0, "fragmented": 0, "fragments": 0, "copied": 0}
    for pkt in reader:
        counts["packets"] += 1
        frame = bytes(pkt)
        ts = pkt.time
        off = ip_offset(frame, linktype)
        frags = None
        if off is not None and len(frame) > off:
            ip = frame[off:]
            version = ip[0] >> 4
            if version == 4 and len(ip) >= 20:
                hl = (ip[0] & 0x0F) * 4
                total = struct.unpack(">H", ip[2:4])[0]
                flags_off = struct.unpack(">H", ip[6:8])[0]
                if (flags_off & 0x3FFF) == 0 and total - hl >= 24 and total <= len(ip):
                    frags = fragment_v4(ip, cut_points(total - hl, rng, args.min, args.max),
                                        ident4)
                    ident4 = (ident4 + 1) & 0xFFFF or 1
            elif version == 6 and len(ip) >= 40:
                plen = struct.unpack(">H", ip[4:6])[0]
                if 40 + plen <= len(ip) and plen > 0:
                    frags = fragment_v6(ip, ident6, rng, args.min, args.max)
                    ident6 += 1
        if not frags:
            counts["copied"] += 1
            t = max(int(round(ts * 1e6)), last_us)
            last_us = t
            writer.write(frame, t)
            continue
        order = list(frags)
        order += [f for f in frags if rng.random() < args.dup_rate]
        rng.shuffle(order)
        counts["fragmented"] += 1
        counts["fragments"] += len(order)
        t = max(int(round(ts * 1e6)), last_us)
        for f in order:
            writer.write(frame[:off] + f, t)
            last_us = t
            t += 1
    writer.close()
    print(" ".join("%s=%d" % kv for kv in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
