#!/usr/bin/python3
"""Builds corpus/inputs/ captures of the link layers added with the capture inputs work,
each an HTTP exchange as make_inputs.py builds them (inner TCP ports 25200-25299):

  nflog.pcap      DLT 239 (what `tcpdump -i nflog:N` writes): family, version, resource id,
                  then TLVs in the writing host's byte order (little-endian here): a prefix,
                  the hardware protocol, and the packet (NFULA_PAYLOAD)
  l2_tags.pcap    Ethernet with 802.1ah PBB (B-TAG, I-TAG, customer MACs), Cisco FabricPath
                  (FTag/TTL, then the classical Ethernet frame) and VN-Tag (then an 802.1Q
                  tag): one exchange in each
usage: corpus/inputs/make_linktypes.py   (from the repository root; needs scapy)
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_inputs import conversation, payload, record, v4, v6, HERE, T0  # noqa: E402
from scapy.all import Raw, raw, wrpcap  # noqa: E402

MAC12 = b"\x02\x00\x00\x00\x03\x02" + b"\x02\x00\x00\x00\x03\x01"


def tlv(t, value):
    n = 4 + len(value)
    return struct.pack("<HH", n, t) + value + b"\0" * ((4 - n % 4) % 4)


def nflog(p):
    family = 10 if p.version == 6 else 2
    return (bytes([family, 0]) + struct.pack(">H", 25)
            + tlv(1, struct.pack(">HBB", 0x86DD if family == 10 else 0x0800, 3, 0))  # packet header
            + tlv(10, b"tcpfollow\0")                                                # prefix
            + tlv(9, raw(p)))                                                        # payload


def pbb(p):
    return (MAC12 + struct.pack(">HH", 0x88A8, 300) + struct.pack(">HI", 0x88E7, 0x00012345)
            + MAC12 + struct.pack(">H", 0x0800) + raw(p))


def fabricpath(p):
    return (MAC12 + struct.pack(">HH", 0x8903, (7 << 6) | 32) + MAC12
            + struct.pack(">H", 0x86DD if p.version == 6 else 0x0800) + raw(p))


def vntag(p):
    return (MAC12 + struct.pack(">HI", 0x8926, 0x80050003) + struct.pack(">HHH", 0x8100, 11, 0x0800)
            + raw(p))


def write(name, linktype, convs, description):
    pkts, conns = [], []
    for wrap, conv, c, cport, s, sport in convs:
        ps, req, resp = conv
        for p in ps:
            w = Raw(wrap(p))
            w.time = p.time
            pkts.append(w)
        conns.append(record(c, cport, s, sport, ps[0].time, req, resp))
    pkts.sort(key=lambda p: p.time)
    wrpcap(os.path.join(HERE, name + ".pcap"), pkts, linktype=linktype)
    for i, x in enumerate(conns):
        x["index"] = i
    with open(os.path.join(HERE, name + ".manifest.json"), "w") as f:
        json.dump({"capture": name + ".pcap", "description": description, "connections": conns,
                   "objects": []}, f, indent=1)
        f.write("\n")


def main():
    t = T0 + 200
    a = conversation(v4("198.18.4.1", "198.18.4.2"), 25201, 25280, payload(b"nflog4", 2500), t)
    b = conversation(v6("2001:db8:4::1", "2001:db8:4::2"), 25202, 25281, payload(b"nflog6", 2000), t + 0.1)
    write("nflog", 239, [(nflog, a, "198.18.4.1", 25201, "198.18.4.2", 25280),
                         (nflog, b, "2001:db8:4::1", 25202, "2001:db8:4::2", 25281)],
          "Two HTTP exchanges (IPv4, IPv6) as NFLOG (DLT 239) records; built by make_linktypes.py.")
    c = conversation(v4("198.18.5.1", "198.18.5.2"), 25203, 25282, payload(b"pbb", 2200), t + 1)
    d = conversation(v6("2001:db8:5::1", "2001:db8:5::2"), 25204, 25283, payload(b"fp", 1800), t + 1.1)
    e = conversation(v4("198.18.5.5", "198.18.5.6"), 25205, 25284, payload(b"vntag", 1600), t + 1.2)
    write("l2_tags", 1, [(pbb, c, "198.18.5.1", 25203, "198.18.5.2", 25282),
                         (fabricpath, d, "2001:db8:5::1", 25204, "2001:db8:5::2", 25283),
                         (vntag, e, "198.18.5.5", 25205, "198.18.5.6", 25284)],
          "HTTP exchanges over 802.1ah PBB, Cisco FabricPath and VN-Tag + 802.1Q; built by "
          "make_linktypes.py.")


if __name__ == "__main__":
    main()
