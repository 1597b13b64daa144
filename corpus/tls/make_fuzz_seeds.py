#!/usr/bin/env python3
"""Writes the seed inputs of the TLS fuzz harnesses (corpus/fuzz/<harness>/) from the
captures, keys and key logs in this folder, plus a synthetic session protected with the
harnesses' check-byte test cipher. Run from anywhere:  python3 corpus/tls/make_fuzz_seeds.py
Fuzz stream format: [direction:1][length:2 big-endian][bytes] (fuzz/fuzz_input.h)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.join(HERE, "..", "fuzz")


def streams(pcap):
    """Client and server bytes of the first TCP connection of a clean Ethernet pcap."""
    data = open(os.path.join(HERE, pcap), "rb").read()
    pos, out, client, nxt = 24, [b"", b""], None, {}
    while pos + 16 <= len(data):
        incl = struct.unpack("<I", data[pos + 8:pos + 12])[0]
        pkt = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        off = (tcp[12] >> 4) * 4
        flags = tcp[13]
        if client is None:
            client = sport
        if sport != client and dport != client:
            continue  # a later connection
        d = 0 if sport == client else 1
        if flags & 2:
            nxt[d] = seq + 1
            continue
        payload = tcp[off:]
        if payload and seq == nxt.get(d):
            out[d] += payload
            nxt[d] = seq + len(payload)
    return out


def records(data):
    out, pos = [], 0
    while pos + 5 <= len(data):
        n = struct.unpack(">H", data[pos + 3:pos + 5])[0]
        out.append((data[pos], data[pos + 5:pos + 5 + n]))
        pos += 5 + n
    return out


def fuzz_stream(chunks):
    return b"".join(bytes([d]) + struct.pack(">H", len(b)) + b for d, b in chunks)


def write(harness, name, data):
    d = os.path.join(FUZZ, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def interleave(c, s, size, limit):
    chunks = []
    for i in range(0, max(len(c), len(s)), size):
        if i < len(c):
            chunks.append((0, c[i:i + size]))
        if i < len(s):
            chunks.append((1, s[i:i + size]))
    return fuzz_stream(chunks)[:limit]


def rec(t, v, body):
    return bytes([t]) + struct.pack(">HH", v, len(body)) + body


def hs(t, body):
    return bytes([t]) + struct.pack(">I", len(body))[1:] + body


def protect(plain, seq):
    return plain + bytes([(sum(plain) + seq) & 0xFF])


def synthetic_session(tls13):
    sni = b"example.test"
    ext = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    if tls13:
        ext += struct.pack(">HHB", 43, 3, 2) + b"\x03\x04"
    suite = 0x1301 if tls13 else 0xC02F
    ch = b"\x03\x03" + b"\x11" * 32 + b"\x00" + struct.pack(">HH", 2, suite) + b"\x01\x00" + \
        struct.pack(">H", len(ext)) + ext
    sh_ext = struct.pack(">HHH", 43, 2, 0x0304) if tls13 else b""
    sh = b"\x03\x03" + b"\x22" * 32 + b"\x00" + struct.pack(">H", suite) + b"\x00" + \
        (struct.pack(">H", len(sh_ext)) + sh_ext if tls13 else b"")
    c = [(0, rec(22, 0x0301, hs(1, ch)))]
    if tls13:
        c.append((1, rec(22, 0x0303, hs(2, sh))))
        inner = lambda body, t: body + bytes([t])
        c.append((1, rec(23, 0x0303, protect(inner(hs(8, b"\x00\x00") + hs(20, b"fin-s"), 22), 0))))
        c.append((0, rec(23, 0x0303, protect(inner(hs(20, b"fin-c"), 22), 0))))
        c.append((0, rec(23, 0x0303, protect(inner(b"GET / HTTP/1.1\r\n\r\n", 23), 0))))
        c.append((1, rec(23, 0x0303, protect(inner(b"HTTP/1.1 200 OK\r\n\r\n", 23), 1))))
        c.append((1, rec(23, 0x0303, protect(inner(hs(24, b"\x00"), 22), 2))))
        c.append((1, rec(23, 0x0303, protect(inner(b"after key update", 23), 0))))
    else:
        c.append((1, rec(22, 0x0303, hs(2, sh) + hs(14, b""))))
        c.append((0, rec(20, 0x0303, b"\x01") + rec(22, 0x0303, protect(hs(20, b"fin-c"), 0))))
        c.append((1, rec(20, 0x0303, b"\x01") + rec(22, 0x0303, protect(hs(20, b"fin-s"), 0))))
        c.append((0, rec(23, 0x0303, protect(b"GET / HTTP/1.1\r\n\r\n", 1))))
        c.append((1, rec(23, 0x0303, protect(b"HTTP/1.1 200 OK\r\n\r\n", 1))))
        c.append((1 | 2, rec(23, 0x0303, protect(b"after a gap", 3))))
        c.append((1, rec(21, 0x0303, protect(b"\x01\x00", 4))))
    return fuzz_stream(c)


def main():
    for pcap in ["rsa_tls12_cbc.pcap", "tls13_aes_128_gcm_sha256.pcap"]:
        c, s = streams(pcap)
        base = pcap.split(".")[0]
        write("tls_record_fuzz", base, interleave(c, s, 700, 12000))
        write("tls_record_fuzz", base + "_small_chunks", interleave(c, s, 7, 3000))
        hs_chunks = [(0, body) for t, body in records(c)[:1]] + \
                    [(0, body) for t, body in records(s) if t == 22][:3]
        write("tls_handshake_fuzz", base, fuzz_stream(hs_chunks))
        write("tls_decrypt_fuzz", base + "_real_crypto", interleave(c, s, 1400, 12000))
    write("tls_record_fuzz", "sslv2_hello", fuzz_stream(
        [(1, b"\x80\x1c\x01\x03\x01\x00\x03\x00\x00\x00\x10\x00\x00\x2f" + b"\x5a" * 16)]))
    for f in ["ecdhe_tls12_gcm.keylog", "tls13_aes_128_gcm_sha256.keylog"]:
        text = open(os.path.join(HERE, f), "rb").read()
        write("keylog_fuzz", f.split(".")[0], fuzz_stream([(1, text), (0, text[:50]), (0, text[50:])]))
    for f in ["server.key.pem", "server.key.pk8.der", "server.key.enc.pem", "server.crt.pem"]:
        write("key_load_fuzz", f.replace(".", "_"), open(os.path.join(HERE, f), "rb").read())
    write("key_load_fuzz", "spec", b"10.0.0.1:443:key.pem")
    write("tls_decrypt_fuzz", "synthetic_tls12", synthetic_session(False))
    write("tls_decrypt_fuzz", "synthetic_tls13", synthetic_session(True))


if __name__ == "__main__":
    main()
