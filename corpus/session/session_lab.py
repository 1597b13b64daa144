#!/usr/bin/python3
"""Helpers of the session recording scripts (not a library): one-sided captures made from a
recorded one, and the manifest's "captured" entries (see corpus/check_streams.py) for
connections of which a capture holds only part.
"""
import hashlib
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab  # noqa: E402

EMPTY = {"sha256": hashlib.sha256(b"").hexdigest(), "length": 0, "missed": 0}


def keep_only_from(pcap, src_host):
    """Rewrites `pcap` keeping only the packets `src_host` sent (what a span port of an
    asymmetric route gives). Returns (kept, removed)."""
    from scapy.all import IP, IPv6, PcapReader, PcapWriter  # Debian's python3-scapy
    kept, removed = [], 0
    with PcapReader(pcap) as r:
        linktype = r.linktype
        for pkt in r:
            src = pkt[IP].src if IP in pkt else pkt[IPv6].src if IPv6 in pkt else None
            if src == src_host:
                kept.append(pkt)
            else:
                removed += 1
    w = PcapWriter(pcap, linktype=linktype, sync=True)
    for pkt in kept:
        w.write(pkt)
    w.close()
    return len(kept), removed


def one_sided(manifest, side):
    """Marks every connection of `manifest`: the capture holds only `side`'s direction
    ("client_to_server" or "server_to_client"). The other direction is empty; its bytes
    count as missed when the kept side is the server: its SYN-ACK says where the client's
    bytes start and its ACKs how many came, one more than the client sent: the ACK of
    the client's FIN, which a capture without that FIN cannot tell from a byte. A
    client's packets carry no such start for the server's bytes (the SYN-ACK is what is
    missing), so nothing counts as missed."""
    other = "server_to_client" if side == "client_to_server" else "client_to_server"
    for c in manifest["connections"]:
        missed = c[other]["length"] + 1 if side == "server_to_client" else 0
        c["captured"] = {side: dict(c[side], missed=0), other: dict(EMPTY, missed=missed)}


def after_mark(L, manifest):
    """Connections open when the client called sockrec.mark() (the capture started after
    it): what the capture holds is what moved after the mark, as the client counted it."""
    marked = 0
    for rec in L.records():
        if rec.get("role") != "connect" or "after_mark" not in rec or rec["local"] is None:
            continue
        key = (lab.norm_ip(rec["local"][0]), rec["local"][1], lab.norm_ip(rec["peer"][0]),
               rec["peer"][1])
        for c in manifest["connections"]:
            if (c["orig_h"], c["orig_p"], c["resp_h"], c["resp_p"]) == key:
                am = rec["after_mark"]
                c["captured"] = {"client_to_server": dict(am["sent"], missed=0),
                                 "server_to_client": dict(am["received"], missed=0)}
                marked += 1
    return marked
