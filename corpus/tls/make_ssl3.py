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
handshake, segments of at most 1200 bytes, ACKs, FIN both ways; tlsgen.py lays them out).
Randoms and secrets come from a seeded generator; only the PKCS#1 v1.5 padding of the
ClientKeyExchange is OpenSSL's random, so that message's ciphertext (and the raw stream
hashes of the manifest) differ from run to run while every decrypted byte stays the same.
Writes ssl3_rsa.pcap, ssl3_rsa.manifest.json (raw stream hashes as generated, the HTTP
bodies as objects) and ssl3_rsa.args (--rsa-key). tshark (Wireshark 4.0) decrypts the
result with the same key:
`tshark -r ssl3_rsa.pcap -o 'uat:rsa_keys:"corpus/tls/server.key.pem",""' -Y http`.

Run from anywhere: python3 corpus/tls/make_ssl3.py   (needs python3-cryptography)
"""
import hashlib
import os
import struct

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import tlsgen
from tlsgen import handshake, u16, u24

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURE = tlsgen.Capture(seed=13, start_time=1796169600.0)
rand = CAPTURE.rand
PORT = 21100
SUITES = [  # id, cipher, key length, IV/block, MAC digest
    (0x002F, "AES", 16, 16, "sha1"),
    (0x0004, "RC4", 16, 0, "md5"),
    (0x000A, "3DES", 24, 8, "sha1"),
]


def ssl3_derive(secret, seed, n):
    out = b""
    i = 0
    while len(out) < n:
        label = bytes([ord("A") + i]) * (i + 1)
        out += hashlib.md5(secret + hashlib.sha1(label + secret + seed).digest()).digest()
        i += 1
    return out[:n]


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
    return tlsgen.plain_record(ctype, data, 0x0300)


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
    request, answer, obj = tlsgen.http_exchange(name, body.encode())
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
    return turns, obj


def main():
    cert_pem = open(os.path.join(HERE, "server.crt.pem"), "rb").read()
    cert = x509.load_pem_x509_certificate(cert_pem)
    from cryptography.hazmat.primitives.serialization import Encoding
    cert_der = cert.public_bytes(Encoding.DER)
    objs = []
    for i, suite in enumerate(SUITES):
        turns, obj = session(suite, i, cert_der, cert.public_key())
        objs.append(obj)
        CAPTURE.connection(50100 + i, PORT, turns, i)
    CAPTURE.write(HERE, "ssl3_rsa",
                  "three SSL 3.0 sessions (RSA; AES-128-CBC-SHA, RC4-128-MD5, 3DES-EDE-CBC-SHA) "
                  "built by make_ssl3.py: no peer here speaks SSL 3.0",
                  "corpus/tls/make_ssl3.py", objs, "--rsa-key\ncorpus/tls/server.key.pem\n",
                  round_usec=False)


if __name__ == "__main__":
    main()
