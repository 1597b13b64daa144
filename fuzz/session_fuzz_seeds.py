#!/usr/bin/env python3
"""Writes the seeds of fuzz/session_fuzz: the first records of small corpus captures (whole
records, at most LIMIT bytes of file each), chosen so that every stage of the session layer
starts from a real connection: TLS 1.2/1.3 with the key logs session_fuzz embeds, HTTP/1.1
in TLS, STARTTLS, FTP AUTH TLS with a data connection, h2 by ALPN, h2c Upgrade, HTTP/2
prior knowledge, plain HTTP (also 206 ranges), SMTP and FTP (expected data connections).

    fuzz/session_fuzz_seeds.py        # from the repository root; rewrites the seeds
"""
import os
import struct
import sys

SEEDS = [
    # (capture, bytes kept)
    ("corpus/https/keylog_www.pcap", 6000),
    ("corpus/tls/ecdhe_tls12_gcm.pcap", 8000),
    ("corpus/tls/reneg_resumed.pcap", 12194),
    ("corpus/smtp/starttls.pcap", 8000),
    ("corpus/ftp/auth_tls.pcap", 7000),
    ("corpus/ftp/modes.pcap", 8000),
    ("corpus/http2/tls13.pcap", 8000),
    ("corpus/http2/h2c.pcap", 2738),
    ("corpus/http2/push.pcap", 1860),
    ("corpus/http/pipelined.pcap", 6000),
    ("corpus/http/ranges.pcap", 4000),  # 206 single range and multipart/byteranges
    ("corpus/smtp/odd_mail.pcap", 8000),
]


def trim(data, limit):
    """The global header and the records that fit in `limit` bytes (classic pcap only)."""
    magic = data[:4]
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        sys.exit("not a little-endian classic pcap")
    out = bytearray(data[:24])
    pos = 24
    while pos + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, pos + 8)[0]
        end = pos + 16 + caplen
        if end > len(data) or len(out) + 16 + caplen > limit:
            break
        out += data[pos:end]
        pos = end
    return bytes(out)


def connect_tunnel(source, limit, out_path):
    """A CONNECT tunnel carrying a real TLS session: the TCP connection of `source` (its
    first `limit` bytes) moved to proxy port 3128, with a CONNECT request and its 200
    answer before the TLS bytes (sequence numbers shifted to make room). Needs scapy."""
    from scapy.all import IP, TCP, rdpcap, wrpcap  # Debian's python3-scapy

    request = (b"CONNECT www.example:443 HTTP/1.1\r\nHost: www.example:443\r\n"
               b"User-Agent: curl/7.88.1\r\n\r\n")
    answer = b"HTTP/1.1 200 Connection established\r\n\r\n"
    packets = rdpcap(source)
    out = []
    client = None
    total = 24
    for pkt in packets:
        if TCP not in pkt or IP not in pkt:
            continue
        ip, tcp = pkt[IP], pkt[TCP]
        if client is None:
            client = (ip.src, tcp.sport)
        from_client = (ip.src, tcp.sport) == client
        syn = bool(tcp.flags & 0x02)
        payload = bytes(tcp.payload)
        seq, ack = tcp.seq, tcp.ack
        if not syn:  # after the handshake both directions carry the CONNECT exchange first
            seq = (seq + (len(request) if from_client else len(answer))) & 0xffffffff
            ack = (ack + (len(answer) if from_client else len(request))) & 0xffffffff
        new = (IP(src=ip.src, dst=ip.dst) /
               TCP(sport=tcp.sport if from_client else 3128,
                   dport=3128 if from_client else tcp.dport,
                   seq=seq, ack=ack, flags=tcp.flags, window=tcp.window) / payload)
        new.time = pkt.time
        out.append(new)
        if len(out) == 3:  # after the handshake: the CONNECT exchange
            syn_c = packets[0][TCP].seq + 1
            out.append(IP(src=ip.src, dst=ip.dst) /
                       TCP(sport=client[1], dport=3128, seq=syn_c, ack=out[1][TCP].seq + 1,
                           flags="PA") / request)
            out.append(IP(src=ip.dst, dst=ip.src) /
                       TCP(sport=3128, dport=client[1], seq=out[1][TCP].seq + 1,
                           ack=syn_c + len(request), flags="PA") / answer)
            out[-2].time = out[-1].time = pkt.time
        total += 16 + len(new)
        if total > limit:
            break
    wrpcap(out_path, out)


def main():
    out_dir = "corpus/fuzz/session_fuzz"
    os.makedirs(out_dir, exist_ok=True)
    for path, limit in SEEDS:
        with open(path, "rb") as f:
            data = f.read()
        name = path.split("/", 1)[1].replace("/", "_")
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(trim(data, limit))
    connect_tunnel("corpus/https/keylog_www.pcap", 6000,
                   os.path.join(out_dir, "connect_tls_tunnel.pcap"))


if __name__ == "__main__":
    main()
