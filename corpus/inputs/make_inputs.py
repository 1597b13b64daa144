#!/usr/bin/python3
"""Builds the corpus/inputs/ captures: inputs as users have them, each with a manifest
(what each endpoint sent, sha256 per direction) for tests/corpus.

Every conversation is a small HTTP exchange built with scapy (handshake, request, response
in several segments, FIN both ways) on 198.18.0.0/15, TCP ports 25000-25999.

  multi_interface.pcapng   mergecap of three captures of different link types, snapshot
                           lengths and timestamp resolutions (Ethernet/µs, Linux SLL/ns,
                           raw IP/µs): one pcapng with three interfaces, as `dumpcap -i eth0
                           -i lo` writes (libpcap refuses such files)
  multi_interface.pcapng.gz / .pcap.zst / .pcap.xz   the same conversations compressed
                           (gzip -n, zstd, xz), told apart by magic bytes, not by name
  damaged_length.pcap      a complete conversation, then a record whose length is impossible,
                           then packets that are not read
  damaged_cut.pcap         a complete conversation, then the file ends inside a record
usage: corpus/inputs/make_inputs.py   (from the repository root; needs scapy, mergecap, zstd, xz)
"""
import gzip
import hashlib
import json
import os
import struct
import subprocess
import tempfile

from scapy.all import CookedLinux, Ether, IP, IPv6, Raw, TCP, wrpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1795000000.0


def payload(tag, n):
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(b"%s-%d" % (tag, i)).digest()
        i += 1
    return out[:n]


def conversation(ip, cport, sport, body, t0, mss=1000):
    """(time, packet) for one HTTP exchange; returns (packets, request, response)."""
    c, s = ip("c"), ip("s")
    req = b"GET /file%d HTTP/1.1\r\nHost: inputs.example\r\n\r\n" % sport
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\n\r\n" % len(body) + body
    pkts, t = [], t0
    cs, ss = 1000, 5000

    def add(p):
        nonlocal t
        t += 0.001
        p.time = t
        pkts.append(p)

    add(c / TCP(sport=cport, dport=sport, flags="S", seq=cs))
    add(s / TCP(sport=sport, dport=cport, flags="SA", seq=ss, ack=cs + 1))
    cs += 1
    ss += 1
    add(c / TCP(sport=cport, dport=sport, flags="A", seq=cs, ack=ss))
    add(c / TCP(sport=cport, dport=sport, flags="PA", seq=cs, ack=ss) / Raw(req))
    cs += len(req)
    for i in range(0, len(resp), mss):
        seg = resp[i:i + mss]
        add(s / TCP(sport=sport, dport=cport, flags="PA", seq=ss, ack=cs) / Raw(seg))
        ss += len(seg)
    add(c / TCP(sport=cport, dport=sport, flags="A", seq=cs, ack=ss))
    add(s / TCP(sport=sport, dport=cport, flags="FA", seq=ss, ack=cs))
    add(c / TCP(sport=cport, dport=sport, flags="FA", seq=cs, ack=ss + 1))
    add(s / TCP(sport=sport, dport=cport, flags="A", seq=ss + 1, ack=cs + 1))
    return pkts, req, resp


def v4(a, b):
    return lambda who: IP(src=a, dst=b) if who == "c" else IP(src=b, dst=a)


def v6(a, b):
    return lambda who: IPv6(src=a, dst=b) if who == "c" else IPv6(src=b, dst=a)


def record(host_c, cport, host_s, sport, start, req, resp):
    return {
        "orig_h": host_c, "orig_p": cport, "resp_h": host_s, "resp_p": sport, "start": start,
        "client_to_server": {"sha256": hashlib.sha256(req).hexdigest(), "length": len(req)},
        "server_to_client": {"sha256": hashlib.sha256(resp).hexdigest(), "length": len(resp)},
        "recorded_by": ["orig", "resp"],
    }


def manifest(name, capture, description, conns):
    for i, c in enumerate(conns):
        c["index"] = i
    with open(os.path.join(HERE, name + ".manifest.json"), "w") as f:
        json.dump({"capture": capture, "description": description, "connections": conns,
                   "objects": []}, f, indent=1)
        f.write("\n")


def eth(p):
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / p


def sll(p):
    return CookedLinux(pkttype=0, lladdrtype=772, lladdrlen=6, src=b"\0" * 6 + b"\0\0",
                       proto=0x86DD if p.version == 6 else 0x0800) / p


def framed(pkts, wrap):
    out = []
    for p in pkts:
        w = wrap(p)
        w.time = p.time
        out.append(w)
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="capture-inputs.")
    # Three captures of different link types, snaplens and resolutions.
    a, ra, sa = conversation(v4("198.18.0.1", "198.18.0.2"), 25001, 25080, payload(b"a", 6000), T0)
    b, rb, sb = conversation(v6("2001:db8::1", "2001:db8::2"), 25002, 25081, payload(b"b", 4000), T0 + 0.0005)
    c, rc, sc = conversation(v4("198.18.1.1", "198.18.1.2"), 25003, 25082, payload(b"c", 3000), T0 + 0.0007)
    pa, pb, pc = (os.path.join(tmp, n) for n in ("eth.pcap", "sll.pcap", "raw.pcap"))
    wrpcap(pa, framed(a, eth), linktype=1, snaplen=65535)
    wrpcap(pb, framed(b, sll), linktype=113, snaplen=262144, nano=True)
    wrpcap(pc, c, linktype=101, snaplen=1600)
    ng = os.path.join(HERE, "multi_interface.pcapng")
    subprocess.run(["mergecap", "-F", "pcapng", "-w", ng, pa, pb, pc], check=True)
    conns = [record("198.18.0.1", 25001, "198.18.0.2", 25080, a[0].time, ra, sa),
             record("2001:db8::1", 25002, "2001:db8::2", 25081, b[0].time, rb, sb),
             record("198.18.1.1", 25003, "198.18.1.2", 25082, c[0].time, rc, sc)]
    manifest("multi_interface", "multi_interface.pcapng",
             "Three HTTP exchanges on three interfaces (Ethernet/us/65535, Linux SLL/ns/262144, "
             "raw IP/us/1600), merged into one pcapng by mergecap; built by make_inputs.py.", conns)
    with open(ng, "rb") as f:
        data = f.read()
    with open(ng + ".gz", "wb") as f:
        f.write(gzip.compress(data, mtime=0))
    manifest("multi_interface_gz", "multi_interface.pcapng.gz",
             "multi_interface.pcapng, gzip-compressed.", [dict(x) for x in conns])
    # Classic pcap of the Ethernet exchange, compressed with zstd and xz.
    with open(pa, "rb") as f:
        plain = f.read()
    zst = subprocess.run(["zstd", "-q", "-c", "-19"], input=plain, check=True, capture_output=True).stdout
    with open(os.path.join(HERE, "ethernet.pcap.zst"), "wb") as f:
        f.write(zst)
    manifest("ethernet_zst", "ethernet.pcap.zst", "One HTTP exchange, classic pcap, zstd-compressed.",
             [dict(conns[0])])
    xz = subprocess.run(["xz", "-c", "-9"], input=plain, check=True, capture_output=True).stdout
    with open(os.path.join(HERE, "ethernet.pcap.xz"), "wb") as f:
        f.write(xz)
    manifest("ethernet_xz", "ethernet.pcap.xz", "One HTTP exchange, classic pcap, xz-compressed.",
             [dict(conns[0])])
    # Damaged files: the Ethernet exchange, then damage, then an exchange that is not read.
    d, rd, sd = conversation(v4("198.18.0.3", "198.18.0.4"), 25004, 25083, payload(b"d", 2000), T0 + 1)
    pd = os.path.join(tmp, "more.pcap")
    wrpcap(pd, framed(d, eth), linktype=1, snaplen=65535)
    with open(pd, "rb") as f:
        more = f.read()[24:]
    bad_header = struct.pack("<IIII", int(T0) + 1, 0, 0x7FFFFFF0, 0x7FFFFFF0)
    with open(os.path.join(HERE, "damaged_length.pcap"), "wb") as f:
        f.write(plain + bad_header + more)
    manifest("damaged_length", "damaged_length.pcap",
             "One HTTP exchange, then a record of impossible length 0x7ffffff0 followed by a "
             "second exchange that is not read (the file is read up to the damage).",
             [dict(conns[0])])
    with open(os.path.join(HERE, "damaged_cut.pcap"), "wb") as f:
        f.write(plain + more[:40])
    manifest("damaged_cut", "damaged_cut.pcap",
             "One HTTP exchange, then the file ends inside the next record's data.",
             [dict(conns[0])])


if __name__ == "__main__":
    main()
