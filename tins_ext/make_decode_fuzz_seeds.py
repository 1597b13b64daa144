#!/usr/bin/python3
"""Writes the seed frames for //fuzz:decode_fuzz into corpus/fuzz/decode_fuzz/.

Each seed is one byte choosing the link type (index into kLinkTypes in
fuzz/decode_fuzz.cc) followed by the frame. Needs scapy (Debian python3-scapy).
Run from the repository root: /usr/bin/python3 tins_ext/make_decode_fuzz_seeds.py
"""
import os
import struct

from scapy.all import (IP, IPv6, TCP, UDP, Ether, Dot1Q, Dot1AD, PPPoE, PPP, Raw, raw,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting,
                       IPv6ExtHdrFragment, fragment)
from scapy.contrib.mpls import MPLS

ETH, SLL, SLL2, RAW12, RAW14, RAW101, IPV4, IPV6, NULL, LOOP, UNSUPPORTED, NFLOG = range(12)
OUT = "corpus/fuzz/decode_fuzz"

v4 = IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1234, dport=80, flags="PA", seq=1) / b"GET / HTTP/1.1\r\n\r\n"
v6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=4000, dport=443, flags="S")
v6ext = (IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt()
         / IPv6ExtHdrRouting() / TCP(sport=1, dport=2, flags="A") / b"ext")
v6frag = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrFragment(offset=0, m=1, id=7) / TCP() / (b"x" * 32)
v6atomic = IPv6(src="::1", dst="::1") / IPv6ExtHdrFragment(offset=0, m=0, id=8) / TCP(dport=22) / b"ssh"
v4frags = fragment(IP(src="192.0.2.1", dst="192.0.2.2") / TCP() / (b"y" * 64), fragsize=24)

def sll(proto, payload):
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02" * 8, proto) + payload

def sll2(proto, payload):
    return struct.pack("!HHIHBB8s", proto, 0, 1, 1, 0, 6, b"\x02" * 8) + payload

seeds = {
    "eth_ipv4_tcp": (ETH, raw(Ether() / v4)),
    "eth_ipv6_tcp": (ETH, raw(Ether() / v6)),
    "eth_vlan": (ETH, raw(Ether() / Dot1Q(vlan=10) / v4)),
    "eth_qinq": (ETH, raw(Ether() / Dot1AD(vlan=5) / Dot1Q(vlan=6) / v6ext)),
    "eth_pppoe": (ETH, raw(Ether() / PPPoE(sessionid=1) / PPP(proto=0x21) / v4)),
    "eth_mpls": (ETH, raw(Ether(type=0x8847) / MPLS(label=16, s=1, ttl=64) / v4)),
    "eth_ipv4_frag": (ETH, raw(Ether() / v4frags[1])),
    "sll_ipv4": (SLL, sll(0x0800, raw(v4))),
    "sll_vlan": (SLL, sll(0x8100, struct.pack("!HH", 42, 0x86DD) + raw(v6))),
    "sll2_ipv6": (SLL2, sll2(0x86DD, raw(v6ext))),
    "raw_ipv6_frag": (RAW12, raw(v6frag)),
    "raw14_atomic": (RAW14, raw(v6atomic)),
    "raw101_ipv4": (RAW101, raw(v4)),
    "ipv4_link": (IPV4, raw(v4frags[0])),
    "ipv6_link": (IPV6, raw(IPv6() / UDP() / b"udp")),
    "null_le": (NULL, struct.pack("<I", 2) + raw(v4)),
    "loop_be_v6": (LOOP, struct.pack(">I", 30) + raw(v6)),
    "truncated": (ETH, raw(Ether() / v4)[:40]),
}

# Link layers added with the tunnels: 802.1ah PBB (B-TAG, I-TAG, customer MACs), Cisco
# FabricPath (FTag/TTL, classical Ethernet frame), VN-Tag, NFLOG (host byte order TLVs).
mac12 = b"\x02" * 12
seeds["eth_pbb"] = (ETH, raw(Ether(type=0x88A8)) + struct.pack("!HH", 100, 0x88E7)
                    + struct.pack("!I", 0x00012345) + mac12 + struct.pack("!H", 0x0800) + raw(v4))
seeds["eth_fabricpath"] = (ETH, raw(Ether(type=0x8903)) + struct.pack("!H", 0x0401) + mac12
                           + struct.pack("!H", 0x86DD) + raw(v6))
seeds["eth_vntag"] = (ETH, raw(Ether(type=0x8926)) + struct.pack("!I", 0x80010002)
                      + struct.pack("!H", 0x8100) + struct.pack("!HH", 7, 0x0800) + raw(v4))
nflog_payload = raw(v4)
seeds["nflog"] = (NFLOG, bytes([2, 0, 0, 0]) + struct.pack("<HH", 8, 1) + b"\x08\x00\x03\x00"
                  + struct.pack("<HH", 4 + len(nflog_payload), 9) + nflog_payload
                  + b"\0" * ((4 - len(nflog_payload) % 4) % 4))

# Tunnels: the first packet of each case in corpus/inputs/tunnels.pcap (make_tunnels.py).
tunnels = "corpus/inputs/tunnels.pcap"
if os.path.exists(tunnels):
    from scapy.all import rdpcap
    seen = set()
    for p in rdpcap(tunnels):
        b = raw(p)
        shape = b[12:14] + bytes([b[23]]) + (b[34:38] if b[23] == 17 else b[34:36])
        if shape in seen or len(seen) > 20:
            continue
        seen.add(shape)
        seeds["tunnel_%02d" % len(seen)] = (ETH, b)

os.makedirs(OUT, exist_ok=True)
for name, (link, frame) in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([link]) + frame)
