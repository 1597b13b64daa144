#!/usr/bin/python3
"""Builds records/not_ip.pcap with scapy: an office LAN's chatter that is not IP, around one
HTTP exchange.

Frames (Ethernet): ARP requests and replies (one behind an 802.1Q tag), LLDP from a
switch, STP BPDUs (802.3 + LLC), CDP (802.3 + SNAP), an EAPOL-Start, two frames of a
local experimental ethertype 0x88b5, and one complete TCP connection (a GET and its
answer) between 198.18.0.1 and 198.18.0.2, port 24080. The manifest lists the
connection (its bytes) and, under "not_ip", how many frames of each kind were written:
tcpfollow's summary and stats.json (packets.not_ip) must name exactly these, and count
none of them as damaged.
"""
import hashlib
import json
import os

from scapy.all import (ARP, LLC, SNAP, STP, TCP, Dot1Q, Dot3, Ether, IP, Raw, wrpcap)
from scapy.contrib.lldp import (LLDPDUChassisID, LLDPDUEndOfLLDPDU, LLDPDUPortID,
                                LLDPDUTimeToLive)

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "not_ip"
CLIENT, SERVER = "198.18.0.1", "198.18.0.2"
MAC_C, MAC_S, MAC_SW = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:fe"
T0 = 1796083200.0  # 2026-12-01 00:00:00 UTC


def tcp_conversation(cport, sport, steps):
    """Frames of one TCP connection: handshake, steps (who, bytes), FINs."""
    seq = {"c": 1000, "s": 5000}
    frames = []

    def frame(who, flags, data=b""):
        src, dst = (CLIENT, SERVER) if who == "c" else (SERVER, CLIENT)
        sp, dp = (cport, sport) if who == "c" else (sport, cport)
        other = "s" if who == "c" else "c"
        eth = Ether(src=MAC_C if who == "c" else MAC_S, dst=MAC_S if who == "c" else MAC_C)
        pkt = eth / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq[who],
                                               ack=seq[other] if "A" in flags else 0)
        if data:
            pkt = pkt / Raw(data)
        frames.append(pkt)
        seq[who] += len(data) + (1 if ("S" in flags or "F" in flags) else 0)

    frame("c", "S")
    frame("s", "SA")
    frame("c", "A")
    for who, data in steps:
        frame(who, "PA", data)
        frame("s" if who == "c" else "c", "A")
    frame("c", "FA")
    frame("s", "FA")
    frame("c", "A")
    return frames


def main():
    bcast = "ff:ff:ff:ff:ff:ff"
    arp = [Ether(src=MAC_C, dst=bcast) / ARP(op=1, hwsrc=MAC_C, psrc=CLIENT, pdst=SERVER),
           Ether(src=MAC_S, dst=MAC_C) / ARP(op=2, hwsrc=MAC_S, psrc=SERVER, hwdst=MAC_C,
                                             pdst=CLIENT),
           Ether(src=MAC_S, dst=bcast) / ARP(op=1, hwsrc=MAC_S, psrc=SERVER, pdst="198.18.0.9"),
           Ether(src=MAC_C, dst=bcast) / Dot1Q(vlan=7) / ARP(op=1, hwsrc=MAC_C, psrc=CLIENT,
                                                             pdst="198.18.0.10")]
    lldp = [Ether(src=MAC_SW, dst="01:80:c2:00:00:0e", type=0x88cc) /
            LLDPDUChassisID(subtype=4, id=MAC_SW) / LLDPDUPortID(subtype=5, id=b"port%d" % i) /
            LLDPDUTimeToLive(ttl=120) / LLDPDUEndOfLLDPDU() for i in (1, 2)]
    stp = [Dot3(src=MAC_SW, dst="01:80:c2:00:00:00") / LLC(dsap=0x42, ssap=0x42, ctrl=3) / STP()
           for _ in range(3)]
    cdp = [Dot3(src=MAC_SW, dst="01:00:0c:cc:cc:cc") / LLC(dsap=0xaa, ssap=0xaa, ctrl=3) /
           SNAP(OUI=0x00000c, code=0x2000) / Raw(b"\x02\xb4\x00\x00" + b"\x00" * 20)]
    eapol = [Ether(src=MAC_C, dst="01:80:c2:00:00:03", type=0x888e) / Raw(b"\x01\x01\x00\x00")]
    local = [Ether(src=MAC_C, dst=MAC_S, type=0x88b5) / Raw(b"local experiment %d" % i)
             for i in (1, 2)]
    request = b"GET /hello HTTP/1.1\r\nHost: lan.records.test\r\n\r\n"
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n"
    tcp = tcp_conversation(24100, 24080, [("c", request), ("s", reply)])
    # Interleaved as a LAN shows them: ARP before the connection, the rest around it.
    order = arp[:2] + lldp[:1] + stp[:1] + tcp[:4] + cdp + stp[1:2] + tcp[4:8] + eapol + \
        local + arp[2:] + lldp[1:] + tcp[8:] + stp[2:]
    for i, f in enumerate(order):
        f.time = T0 + i * 0.01
    pcap = os.path.join(HERE, NAME + ".pcap")
    wrpcap(pcap, order, linktype=1)
    kinds = {"arp": len(arp), "lldp": len(lldp), "stp": len(stp), "cdp": len(cdp),
             "eapol": len(eapol), "0x88b5": len(local)}
    conn = {"orig_h": CLIENT, "orig_p": 24100, "resp_h": SERVER, "resp_p": 24080,
            "start": T0, "index": 0, "recorded_by": ["script"],
            "client_to_server": {"sha256": hashlib.sha256(request).hexdigest(),
                                 "length": len(request)},
            "server_to_client": {"sha256": hashlib.sha256(reply).hexdigest(),
                                 "length": len(reply)}}
    manifest = {"capture": NAME + ".pcap", "description": __doc__.splitlines()[0],
                "recorded_with": {"generator": "make_not_ip.py (scapy)"},
                "connections": [conn], "objects": [], "not_ip": kinds}
    with open(os.path.join(HERE, NAME + ".manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(NAME, kinds)


if __name__ == "__main__":
    main()
