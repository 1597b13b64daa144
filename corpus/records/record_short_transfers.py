#!/usr/bin/python3
"""Records records/short_transfers.pcap: downloads the capture holds only part of, with the length known.

Real peers in the lab (namespaces records-*, no loss), then segments cut out of the
capture afterwards, as a tap that missed them would show it:
  1. HTTP: curl GETs /chunked/12000?size=1000 from records_peers.py (24080): 12 chunks of
     1000 bytes. Cut: one server segment that spans a chunk boundary (a hole the client's
     ACKs pass: a gap), and every packet of the connection after a later segment that
     ends inside a chunk (the capture lost the end: no FIN, no ACK of the rest).
  2. FTP: curl RETRs announce.bin (30000 bytes) from pyftpdlib (24021, passive
     24030-24039) run with --announce-size: "150 Opening BINARY mode data connection for
     announce.bin (30000 bytes)." Cut: one data segment mid-way, and the last third of
     the data: the data connection's FINs are moved to where the kept data stops, as a
     transfer the server (or a middlebox) closed early shows on the wire.
  3. FTP: curl RETRs sized.bin (20000 bytes); only SIZE (213 20000) says the length. Cut:
     the data after the first two thirds, FINs moved there as in 2.
The manifest says, per cut connection, what the capture holds ("captured"), and under
"expect" what each object's files.jsonl record must say, computed here from the cut
segments and the chunk layout: size (bytes stored), missing_bytes, partial. For the
chunked body, missing_bytes is the hole's length (its chunk-size line included: the
body goes on after it) plus what the last chunk seen still had to come.
"""
import hashlib
import os
import random
import sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
import lab  # noqa: E402

NAME = "short_transfers"
PEERS = os.path.join(HERE, "records_peers.py")


def segments(pkts, sport, dport):
    """[(index, offset, payload)] of the data sent from port sport to dport, by offset."""
    isn = None
    out = []
    from scapy.all import IP, TCP
    for i, p in enumerate(pkts):
        if IP not in p or TCP not in p:
            continue
        t = p[TCP]
        if t.sport != sport or t.dport != dport:
            continue
        if t.flags & 0x02:  # SYN
            isn = t.seq
            continue
        n = p[IP].len - p[IP].ihl * 4 - t.dataofs * 4
        if n > 0:
            out.append((i, (t.seq - isn - 1) % (1 << 32), bytes(t)[t.dataofs * 4:][:n]))
    return sorted(out, key=lambda s: s[1])


def conn_ports(pkts, server_ports):
    """(client port, server port) of each connection to server_ports, in SYN order."""
    from scapy.all import TCP
    seen = []
    for p in pkts:
        if TCP in p and p[TCP].flags == 0x02 and p[TCP].dport in server_ports:
            key = (p[TCP].sport, p[TCP].dport)
            if key not in seen:
                seen.append(key)
    return seen


def chunk_layout(stream):
    """The response's body: [(data start, data end)] in stream offsets, and framing."""
    body = stream.index(b"\r\n\r\n") + 4
    ranges = []
    at = body
    while True:
        nl = stream.index(b"\r\n", at)
        size = int(stream[at:nl], 16)
        if size == 0:
            return ranges
        ranges.append((nl + 2, nl + 2 + size))
        at = nl + 2 + size + 2


def inside_data(offset, ranges, margin=8):
    return any(s + margin <= offset <= e - margin for s, e in ranges)


def data_in(lo, hi, ranges):
    return sum(max(0, min(hi, e) - max(lo, s)) for s, e in ranges)


def captured(pkts, client_port, server_port, server_ip, kept):
    """What the kept packets hold of one connection, per direction (manifest "captured")."""
    out = {}
    for d, (sp, dp) in (("client_to_server", (client_port, server_port)),
                        ("server_to_client", (server_port, client_port))):
        segs = [s for s in segments(pkts, sp, dp) if s[0] in kept]
        held, end, missed = b"", 0, 0
        for _, off, data in segs:
            if off + len(data) <= end:
                continue
            if off > end:
                missed += off - end
            else:
                data = data[end - off:]
                off = end
            held += data
            end = off + len(data)
        out[d] = {"sha256": hashlib.sha256(held).hexdigest(), "length": len(held),
                  "missed": missed}
    return out


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="records", loss=0) as L:
        log = os.path.join(L.tmp, "objects.jsonl")
        os.chmod(L.tmp, 0o755)
        root = os.path.join(L.tmp, "ftproot")
        os.makedirs(root)
        files = {"announce.bin": 30000, "sized.bin": 20000}
        for name, size in files.items():
            with open(os.path.join(root, name), "wb") as f:
                f.write(random.Random(name).randbytes(size))
        L.python(L.sns, "http", [PEERS, "http", "24080", log], background=True)
        L.wait_listen(L.sns, 24080)
        L.python(L.sns, "ftp", [os.path.join(lab.HERE, "ftp_server.py"), "--root", root,
                                "--port", "24021", "--passive-ports", "24030-24039",
                                "--announce-size", "--objects", log], background=True)
        L.wait_listen(L.sns, 24021)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        L.start_capture(pcap)
        L.run_ns(L.cns, ["curl", "-sS", "-o", os.path.join(dl, "chunked"),
                         "http://%s:24080/chunked/12000?size=1000" % lab.SERVER4])
        ftp = "ftp://corpus:corpus@%s:24021/" % lab.SERVER4
        for name in files:
            L.run_ns(L.cns, ["curl", "-sS", "-o", os.path.join(dl, name), ftp + name])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(log)
        for o in objs:
            o.setdefault("source", "http")

        from scapy.all import PcapReader, wrpcap
        with PcapReader(pcap) as r:
            linktype = r.linktype
            pkts = list(r)
        drop = set()
        expect = []
        cut_conns = []  # (client port, server port)
        # 1. The chunked download.
        (hc, hs), = conn_ports(pkts, {24080})
        segs = segments(pkts, hs, hc)
        stream = b"".join(s[2] for s in segs)
        ranges = chunk_layout(stream)
        hole = next(s for s in segs[3:] if inside_data(s[1], ranges) and
                    inside_data(s[1] + len(s[2]), ranges) and
                    data_in(s[1], s[1] + len(s[2]), ranges) < len(s[2]))
        h_end = hole[1] + len(hole[2])
        # The capture's end: a segment ending inside a chunk, two chunks past the hole.
        after = [r for r in ranges if r[0] > h_end]
        tail = next(s for s in segs if s[1] > after[2][0] and inside_data(s[1] + len(s[2]), ranges))
        t_end = tail[1] + len(tail[2])
        drop.add(hole[0])
        drop.update(i for i, p in enumerate(pkts) if i > tail[0] and _of(p, hc, hs))
        chunk_end = next(e for s, e in ranges if s <= t_end <= e)
        expect.append({"source": "http", "uri": "/chunked/12000?size=1000",
                       "size": data_in(0, t_end, ranges) - data_in(hole[1], h_end, ranges),
                       "missing_bytes": len(hole[2]) + (chunk_end - t_end), "partial": True})
        cut_conns.append((hc, hs))
        # 2 and 3. The FTP data connections, in RETR order.
        for (dc, ds), (name, size) in zip(conn_ports(pkts, set(range(24030, 24040))),
                                          files.items()):
            segs = segments(pkts, ds, dc)
            cut = []
            if name == "announce.bin":
                cut.append(segs[len(segs) // 3])
            tail = segs[(2 * len(segs)) // 3]
            drop.update(s[0] for s in cut)
            # The rest of the data is gone, and the connection closes right after what is
            # left: its FINs are kept, moved to where the data stops (no gap TCP could see).
            t_end = tail[1] + len(tail[2])
            drop.update(_close_early(pkts, tail[0], dc, ds, t_end))
            got = sum(len(s[2]) for s in segs if s[0] not in drop)
            expect.append({"source": "ftp", "name": name, "size": got,
                           "missing_bytes": size - got, "partial": True})
            cut_conns.append((dc, ds))
        kept = [p for i, p in enumerate(pkts) if i not in drop]
        wrpcap(pcap, kept, linktype=linktype)
        kept_idx = {i for i in range(len(pkts)) if i not in drop}
        holds = {c: captured(pkts, c[0], c[1], lab.SERVER4, kept_idx) for c in cut_conns}
        # The objects whole: the manifest lists only those the capture holds entirely.
        whole = [o for o in objs if o.get("name") not in files and "chunked" not in o.get("uri", "")]
        m = lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                       __doc__.splitlines()[0], objects=whole)
    for c in m["connections"]:
        key = (c["orig_p"], c["resp_p"])
        if key in holds:
            c["captured"] = holds[key]
    m["expect"] = expect
    m["sent_objects"] = objs
    lab.write_manifest(m, os.path.join(HERE, NAME + ".manifest.json"))
    print("expect:", expect)


def _close_early(pkts, last, client_port, server_port, end):
    """Packets of a connection after index `last` to drop so that it ends at server offset
    `end`: every one but the FINs and the last ACK, whose sequence and acknowledgement
    numbers are rewritten to that end (checksums recomputed). Returns the indexes dropped."""
    from scapy.all import IP, TCP
    isn = next(p[TCP].seq for p in pkts if TCP in p and p[TCP].sport == server_port and
               p[TCP].dport == client_port and p[TCP].flags & 0x02)
    fin_seq = isn + 1 + end
    later = [i for i, p in enumerate(pkts) if i > last and _of(p, client_port, server_port)]
    keep = {i for i in later if pkts[i][TCP].flags & 0x01} | {later[-1]}
    server_fin = None
    for i in later:
        if i not in keep:
            continue
        t = pkts[i][TCP]
        if t.sport == server_port:
            server_fin = t.seq  # the server's real FIN position
            t.seq = fin_seq
        elif t.ack > fin_seq or t.ack < isn:
            # Acknowledges the server's FIN (then end + 1) or data that is no longer there.
            t.ack = fin_seq + 1 if server_fin is not None and t.ack == server_fin + 1 else fin_seq
        del pkts[i][IP].chksum
        del t.chksum
        when = pkts[i].time
        pkts[i] = pkts[i].__class__(bytes(pkts[i]))
        pkts[i].time = when
    return set(later) - keep


def _of(p, a, b):
    from scapy.all import TCP
    return TCP in p and {p[TCP].sport, p[TCP].dport} == {a, b}


if __name__ == "__main__":
    main()
