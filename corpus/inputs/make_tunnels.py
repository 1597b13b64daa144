#!/usr/bin/python3
"""Builds corpus/inputs/tunnels.pcap: one small HTTP exchange (as make_inputs.py builds them)
inside each tunnel tcpfollow decapsulates, every packet wrapped the way its direction would
be (outer source and destination swapped for the answers), plus the manifest with what each
inner endpoint sent.

  4in4, 6in4, 4in6, 6in6      IP-in-IP (protocols 4 and 41)
  gre_key_seq                 GRE with key and sequence number, IPv4 inside
  gre_teb                     GRE transparent Ethernet bridging
  erspan1, erspan2, erspan3   ERSPAN types I, II and III (III with the platform sub-header)
  vxlan, vxlan_other_vni      VXLAN (UDP 4789); the same inner 4-tuple again in another VNI:
                              two connections, not one
  geneve                      Geneve (UDP 6081) with an option
  gtpu                        GTP-U (UDP 2152) G-PDU with a sequence number and an extension
  teredo                      Teredo (UDP 3544) with an origin indication
  ayiya                       AYIYA (UDP 5072), forward opcode
  vxlan_in_gre                two layers
Outer and inner addresses are in 198.18.0.0/15 and 2001:db8::/32, inner TCP ports 25100-25199.
usage: corpus/inputs/make_tunnels.py   (from the repository root; needs scapy)
"""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_inputs import conversation, payload, record, v4, v6, HERE, T0  # noqa: E402
from scapy.all import GRE, IP, IPv6, UDP, Ether, Raw, raw, wrpcap  # noqa: E402
from scapy.layers.vxlan import VXLAN  # noqa: E402

ETH = dict(src="02:00:00:00:01:01", dst="02:00:00:00:01:02")
INNER_ETH = dict(src="02:00:00:00:02:01", dst="02:00:00:00:02:02")


def outer4(a, b):
    return lambda fwd: IP(src=a, dst=b) if fwd else IP(src=b, dst=a)


def outer6(a, b):
    return lambda fwd: IPv6(src=a, dst=b) if fwd else IPv6(src=b, dst=a)


def ipip(outer):
    return lambda fwd, inner, i: outer(fwd) / inner


def gre(outer, proto, key=None, seq=False, header=lambda i: b"", ethernet=False):
    def wrap(fwd, inner, i):
        g = GRE(proto=proto)
        if key is not None:
            g.key_present = 1
            g.key = key
        if seq:
            g.seqnum_present = 1
            g.sequence_number = i
        body = Ether(**INNER_ETH) / inner if ethernet else inner
        return outer(fwd) / g / Raw(header(i) + raw(body))
    return wrap


def erspan2(i):  # ver 1, vlan 0, cos/en/t, session 5, index
    return struct.pack(">HHI", 0x1000, 0x0005, 0)


def erspan3(i):  # ver 2, session 6, timestamp, sgt, flags with O (platform sub-header)
    return struct.pack(">HHIHH", 0x2000, 0x0006, i, 0, 0x0001) + struct.pack(">Q", 0x1800000000000000)


def udp_tunnel(outer, sport, dport, header, ethernet):
    def wrap(fwd, inner, i):
        body = raw(Ether(**INNER_ETH) / inner) if ethernet else raw(inner)
        s, d = (sport, dport) if fwd else (dport, sport) if sport == dport else (sport + 1, dport)
        return outer(fwd) / UDP(sport=s, dport=d) / Raw(header(fwd, i, len(body)) + body)
    return wrap


def vxlan(vni):
    return lambda fwd, i, n: raw(VXLAN(vni=vni, flags=0x08))


def geneve(fwd, i, n):
    opt = struct.pack(">HBB", 0x0101, 0x01, 1) + b"\0\0\0\x07"  # class, type, length 1 word
    return struct.pack(">BBH", len(opt) // 4, 0, 0x6558) + struct.pack(">I", 77 << 8) + opt


def gtpu(fwd, i, n):
    ext = bytes([1, 0x00, 0x00, 0x00])  # one 4-byte extension header, next type 0
    body = struct.pack(">HBB", i, 0, 0x85) + ext  # sequence, N-PDU, next ext type 0x85
    teid = 0x1001 if fwd else 0x2002  # per direction, as GTP does
    return struct.pack(">BBHI", 0x30 | 0x02 | 0x04, 0xFF, len(body) + n, teid) + body


def teredo(fwd, i, n):
    return struct.pack(">HH4s", 0x0000, 0xFFFF ^ 40000, bytes([0xFF ^ 198, 0xFF ^ 18, 0xFF, 0xFE]))


def ayiya(inner_proto):
    def header(fwd, i, n):
        ident = b"\x20\x01\x0d\xb8" + b"\0" * 12  # 16-byte identity (2^4)
        return bytes([0x41, 0x52, 0x11, inner_proto]) + struct.pack(">I", 1795000000) + ident + b"\0" * 20
    return header


def main():
    cases = []
    n = [0]

    def case(name, family, wrap):
        n[0] += 1
        k = n[0]
        if family == 4:
            c, s = "198.18.2.%d" % k, "198.18.3.%d" % k
            ip = v4(c, s)
        else:
            c, s = "2001:db8:2::%x" % k, "2001:db8:3::%x" % k
            ip = v6(c, s)
        cases.append((name, c, 25100 + k, s, 25180, ip, wrap))

    o4 = outer4("198.18.10.1", "198.18.10.2")
    o6 = outer6("2001:db8:10::1", "2001:db8:10::2")
    case("4in4", 4, ipip(o4))
    case("6in4", 6, ipip(o4))
    case("4in6", 4, ipip(o6))
    case("6in6", 6, ipip(o6))
    case("gre_key_seq", 4, gre(o4, 0x0800, key=77, seq=True))
    case("gre_teb", 4, gre(o4, 0x6558, ethernet=True))
    case("erspan1", 4, gre(o4, 0x88BE, ethernet=True))
    case("erspan2", 4, gre(o4, 0x88BE, seq=True, header=erspan2, ethernet=True))
    case("erspan3", 6, gre(o4, 0x22EB, seq=True, header=erspan3, ethernet=True))
    vx = udp_tunnel(outer4("198.18.11.1", "198.18.11.2"), 49152, 4789, vxlan(42), True)
    case("vxlan", 4, vx)
    case("geneve", 4, udp_tunnel(outer4("198.18.12.1", "198.18.12.2"), 49152, 6081, geneve, True))
    case("gtpu", 4, udp_tunnel(outer4("198.18.13.1", "198.18.13.2"), 2152, 2152, gtpu, False))
    case("teredo", 6, udp_tunnel(outer4("198.18.14.1", "198.18.14.2"), 40000, 3544, teredo, False))
    case("ayiya", 6, udp_tunnel(outer4("198.18.15.1", "198.18.15.2"), 5072, 5072, ayiya(41), False))
    inner_vx = udp_tunnel(outer4("198.18.16.1", "198.18.16.2"), 49152, 4789, vxlan(9), True)
    outer_gre = gre(o4, 0x0800)
    case("vxlan_in_gre", 4, lambda fwd, inner, i: outer_gre(fwd, inner_vx(fwd, inner, i), i))

    packets, conns = [], []
    t = T0 + 100
    for name, c, cport, s, sport, ip, wrap in cases:
        pkts, req, resp = conversation(ip, cport, sport, payload(name.encode(), 1500), t)
        for i, p in enumerate(pkts):
            fwd = p.src == c if hasattr(p, "src") else True
            w = Ether(**ETH) / wrap(fwd, p, i)
            w.time = p.time
            packets.append(w)
        conns.append(record(c, cport, s, sport, pkts[0].time, req, resp))
        t += 0.05
    # The vxlan case's inner 4-tuple again, in VNI 43: a second connection.
    name, c, cport, s, sport, ip, _ = cases[9]
    vx43 = udp_tunnel(outer4("198.18.11.1", "198.18.11.2"), 49152, 4789, vxlan(43), True)
    pkts, req, resp = conversation(ip, cport, sport, payload(b"vxlan_other_vni", 1200), t)
    for i, p in enumerate(pkts):
        w = Ether(**ETH) / vx43(p.src == c, p, i)
        w.time = p.time
        packets.append(w)
    conns.append(record(c, cport, s, sport, pkts[0].time, req, resp))
    packets.sort(key=lambda p: p.time)
    wrpcap(os.path.join(HERE, "tunnels.pcap"), packets, linktype=1)
    for i, x in enumerate(conns):
        x["index"] = i
    with open(os.path.join(HERE, "tunnels.manifest.json"), "w") as f:
        json.dump({"capture": "tunnels.pcap",
                   "description": "One HTTP exchange inside each tunnel tcpfollow decapsulates "
                                  "(IP-in-IP x4, GRE with key and sequence, GRE TEB, ERSPAN I/II/III, "
                                  "VXLAN in two VNIs with the same inner 4-tuple, Geneve, GTP-U, "
                                  "Teredo, AYIYA, VXLAN in GRE); built by make_tunnels.py.",
                   "connections": conns, "objects": []}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
