#!/usr/bin/python3
"""Builds corpus/tls/ssl3_rsa.pcap: three SSL 3.0 sessions with RSA key exchange, encrypted
here record by record, because no peer on this machine speaks SSL 3.0 (Debian's OpenSSL 3.0
has no -ssl3 in s_client or s_server, Python's ssl neither).

Each session is a full SSL 3.0 handshake to the server of this folder's certificate
(server.crt.pem; its key server.key.pem decrypts them): ClientHello 0x0300, ServerHello,
Certificate, ServerHelloDone, ClientKeyExchange (the pre-master secret RSA-encrypted with
PKCS#1 v1.5, no length prefix as SSL 3.0 has it), ChangeCipherSpec and Finished (RFC 6101
5.6.9 hashes) both ways, one HTTP/1.0 GET and its answer, close_notify both ways. Keys,
MACs and padding follow RFC 6101 (6.1, 6.2.2, 5.2.3): master secret and key block from
the MD5/SHA-1 construction, MAC = hash(key + pad_2 + hash(key + pad_1 + seq + type + length
+ data)), CBC padding of arbitrary bytes with the IV chained from the key block. Suites:
SSL_RSA_WITH_AES_128_CBC_SHA (0x002F, RFC 3268 over SSL 3.0), SSL_RSA_WITH_RC4_128_MD5
(0x0004) and SSL_RSA_WITH_3DES_EDE_CBC_SHA (0x000A).

The packets are IPv4/TCP over Ethernet between 198.18.0.1 and 198.18.0.2:21100 (three-way
handshake, segments of at most 1200 bytes, ACKs, FIN both ways). Randoms and secrets come
from a seeded generator, so the file is the same on every run. Writes ssl3_rsa.pcap,
ssl3_rsa.manifest.json (raw stream hashes as generated, the HTTP bodies as objects) and
ssl3_rsa.args (--rsa-key). tshark (Wireshark 4.0) decrypts the result with the same key:
`tshark -r ssl3_rsa.pcap -o 'uat:rsa_keys:"corpus/tls/server.key.pem",""' -Y http`.

Run from anywhere: python3 corpus/tls/make_ssl3.py   (needs python3-cryptography)
"""
import hashlib
import json
import os
import random
import struct

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.Random(13)
CLIENT, SERVER, PORT = "198.18.0.1", "198.18.0.2", 21100
SUITES = [  # id, cipher, key length, IV/block, MAC digest
    (0x002F, "AES", 16, 16, "sha1"),
    (0x0004, "RC4", 16, 0, "md5"),
    (0x000A, "3DES", 24, 8, "sha1"),
]


def rand(n):
    return bytes(RNG.getrandbits(8) for _ in range(n))


def u16(n):
    return struct.pack(">H", n)


def u24(n):
    return struct.pack(">I", n)[1:]


def ssl3_derive(secret, seed, n):
    out = b""
    i = 0
    while len(out) < n:
        label = bytes([ord("A") + i]) * (i + 1)
        out += hashlib.md5(secret + hashlib.sha1(label + secret + seed).digest()).digest()
        i += 1
    return out[:n]


def handshake(t, body):
    return bytes([t]) + u24(len(body)) + body


def finished_hash(messages, sender, master):
    out = b""
    for h, pad in ((hashlib.md5, 48), (hashlib.sha1, 40)):
        inner = h(messages + sender + master + b"\x36" * pad).digest()
        out += h(master + b"\x5c" * pad + inner).digest()
    return out


class Protector:
    """One direction's SSL 3.0 record protection."""

    def __init__(self, cipher, key, iv, mac_key, digest):
        self.mac_key, self.digest, self.seq = mac_key, digest, 0
        self.pad = 48 if digest == "md5" else 40
        if cipher == "RC4":
            self.enc = Cipher(algorithms.ARC4(key), mode=None).encryptor()
            self.block = 0
        else:
            alg = algorithms.AES(key) if cipher == "AES" else algorithms.TripleDES(key)
            self.enc = Cipher(alg, modes.CBC(iv)).encryptor()  # one context: the IV chains
            self.block = len(iv)

    def record(self, ctype, data):
        h = lambda b: hashlib.new(self.digest, b).digest()
        inner = h(self.mac_key + b"\x36" * self.pad + struct.pack(">QBH", self.seq, ctype, len(data)) + data)
        mac = h(self.mac_key + b"\x5c" * self.pad + inner)
        self.seq += 1
        plain = data + mac
        if self.block:
            n = self.block - (len(plain) + 1) % self.block
            if n == self.block:
                n = 0
            plain += rand(n) + bytes([n])  # SSL 3.0: arbitrary padding bytes
        return bytes([ctype]) + b"\x03\x00" + u16(len(plain)) + self.enc.update(plain)


def record(ctype, data):
    return bytes([ctype]) + b"\x03\x00" + u16(len(data)) + data


def session(suite, index, cert_der, public_key):
    sid, cipher, key_len, iv_len, digest = suite
    cr, sr = rand(32), rand(32)
    ch = handshake(1, b"\x03\x00" + cr + b"\x00" + u16(4) + u16(sid) + u16(0x00FF) + b"\x01\x00")
    sh = handshake(2, b"\x03\x00" + sr + b"\x20" + rand(32) + u16(sid) + b"\x00")
    cert = handshake(11, u24(len(cert_der) + 3) + u24(len(cert_der)) + cert_der)
    shd = handshake(14, b"")
    pms = b"\x03\x00" + rand(46)
    cke = handshake(16, public_key.encrypt(pms, padding.PKCS1v15()))
    master = ssl3_derive(pms, cr + sr, 48)
    mac_len = 16 if digest == "md5" else 20
    kb = ssl3_derive(master, sr + cr, 2 * (mac_len + key_len + iv_len))
    cmac, smac = kb[:mac_len], kb[mac_len:2 * mac_len]
    o = 2 * mac_len
    ckey, skey = kb[o:o + key_len], kb[o + key_len:o + 2 * key_len]
    o += 2 * key_len
    civ, siv = kb[o:o + iv_len], kb[o + iv_len:o + 2 * iv_len]
    cp = Protector(cipher, ckey, civ, cmac, digest)
    sp = Protector(cipher, skey, siv, smac, digest)
    msgs = ch + sh + cert + shd + cke
    cfin = handshake(20, finished_hash(msgs, b"CLNT", master))
    sfin = handshake(20, finished_hash(msgs + cfin, b"SRVR", master))
    name = "sslthree%d%d.txt" % (index + 1, 3000 + 1000 * index)
    body = (" ".join("ssl3 session %d line %d" % (index, i) for i in range(800)))[:3000 + 1000 * index]
    body = body.encode()
    request = b"GET /%s HTTP/1.0\r\nHost: tcpfollow.test\r\n\r\n" % name.encode()
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    turns = [
        ("c", record(22, ch)),
        ("s", record(22, sh + cert + shd)),
        ("c", record(22, cke) + record(20, b"\x01") + cp.record(22, cfin)),
        ("s", record(20, b"\x01") + sp.record(22, sfin)),
        ("c", cp.record(23, request)),
    ]
    chunks = [answer[i:i + 1500] for i in range(0, len(answer), 1500)]  # several records
    turns.append(("s", b"".join(sp.record(23, c) for c in chunks)))
    turns.append(("c", cp.record(21, b"\x01\x00")))
    turns.append(("s", sp.record(21, b"\x01\x00")))
    obj = {"source": "http", "sha256": hashlib.sha256(body).hexdigest(), "length": len(body),
           "direction": "response", "method": "GET", "url": "/" + name, "status": 200, "name": name}
    return turns, obj


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def packet(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), RNG.getrandbits(16), 0x4000, 64, 6, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp


def main():
    cert_pem = open(os.path.join(HERE, "server.crt.pem"), "rb").read()
    cert = x509.load_pem_x509_certificate(cert_pem)
    from cryptography.hazmat.primitives.serialization import Encoding
    cert_der = cert.public_bytes(Encoding.DER)
    frames, conns, objs = [], [], []
    t = 1796169600.0
    for i, suite in enumerate(SUITES):
        turns, obj = session(suite, i, cert_der, cert.public_key())
        objs.append(obj)
        sport = 50100 + i
        cseq, sseq = RNG.getrandbits(32), RNG.getrandbits(32)
        start = t
        up, down = b"", b""

        def emit(frm, flags, payload=b""):
            nonlocal t, cseq, sseq
            t += 0.0005
            if frm == "c":
                frames.append((t, packet(CLIENT, SERVER, sport, PORT, cseq, sseq, flags, payload)))
                cseq = (cseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xffffffff
            else:
                frames.append((t, packet(SERVER, CLIENT, PORT, sport, sseq, cseq, flags, payload)))
                sseq = (sseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xffffffff

        t += 0.0005
        frames.append((t, packet(CLIENT, SERVER, sport, PORT, cseq, 0, 0x02, b"")))
        cseq = (cseq + 1) & 0xffffffff
        emit("s", 0x12)
        emit("c", 0x10)
        for frm, data in turns:
            if frm == "c":
                up += data
            else:
                down += data
            for k in range(0, len(data), 1200):
                emit(frm, 0x18, data[k:k + 1200])
            emit("s" if frm == "c" else "c", 0x10)
        emit("c", 0x11)
        emit("s", 0x11)
        emit("c", 0x10)
        t += 0.2
        conns.append({"orig_h": CLIENT, "orig_p": sport, "resp_h": SERVER, "resp_p": PORT, "start": start,
                      "client_to_server": {"sha256": hashlib.sha256(up).hexdigest(), "length": len(up)},
                      "server_to_client": {"sha256": hashlib.sha256(down).hexdigest(), "length": len(down)},
                      "recorded_by": ["generator"], "index": i})
    with open(os.path.join(HERE, "ssl3_rsa.pcap"), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(fr), len(fr)) + fr)
    manifest = {"capture": "ssl3_rsa.pcap",
                "description": "three SSL 3.0 sessions (RSA; AES-128-CBC-SHA, RC4-128-MD5, 3DES-EDE-CBC-SHA) "
                               "built by make_ssl3.py: no peer here speaks SSL 3.0",
                "recorded_with": {"generator": "corpus/tls/make_ssl3.py"},
                "connections": conns, "objects": objs}
    with open(os.path.join(HERE, "ssl3_rsa.manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    with open(os.path.join(HERE, "ssl3_rsa.args"), "w") as f:
        f.write("--rsa-key\ncorpus/tls/server.key.pem\n")
    print("ssl3_rsa.pcap: %d frames, %d sessions" % (len(frames), len(conns)))


if __name__ == "__main__":
    main()
