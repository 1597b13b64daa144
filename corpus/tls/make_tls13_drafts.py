#!/usr/bin/python3
"""Builds corpus/tls/tls13_drafts.pcap: TLS 1.3 sessions of draft versions 18, 23 and 28,
encrypted here record by record because no peer on this machine speaks a draft (OpenSSL 3.0
and Python know only RFC 8446). Drafts are what older captures hold (0x7F12-0x7F1C).

Each session: ClientHello offering the draft in supported_versions, ServerHello in that
draft's layout (drafts 18-21 put the version in the ServerHello and have no session id or
compression; 22 and later use supported_versions), then EncryptedExtensions and Finished
under the server handshake secret, the client Finished under the client handshake secret,
one HTTP/1.0 GET and its answer under the traffic secrets, close_notify both ways.
TLS_AES_128_GCM_SHA256; keys and IVs from HKDF-Expand-Label with the draft's label prefix
("TLS 1.3, " before draft 20, "tls13 " after), additional data = the record header from
draft 25 on, none before. The secrets are random (seeded) and written to
tls13_drafts.keylog, so the capture decrypts from the key log as any TLS 1.3 one; handshake
hashes are not computed (no decryptor checks Finished). tshark (Wireshark 4.0) decrypts the
same file with the same key log: `tshark -r tls13_drafts.pcap -o
tls.keylog_file:tls13_drafts.keylog -Y http`.

Packets laid out by tlsgen.py, as for make_ssl3.py (198.18.0.1 -> 198.18.0.2:21200). Writes
tls13_drafts.pcap, .keylog, .manifest.json (raw stream hashes as generated, the bodies as
objects) and .args.   Run: python3 corpus/tls/make_tls13_drafts.py   (python3-cryptography)
"""
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import tlsgen
from tlsgen import handshake, plain_record, u16

HERE = os.path.dirname(os.path.abspath(__file__))
CAPTURE = tlsgen.Capture(seed=1328, start_time=1796173200.0)
rand = CAPTURE.rand
PORT = 21200
DRAFTS = [18, 23, 28]


def hkdf_expand_label(secret, label, length, prefix):
    full = prefix + label
    info = u16(length) + bytes([len(full)]) + full + b"\x00"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


class Sealer:
    def __init__(self, secret, draft):
        prefix = b"TLS 1.3, " if draft < 20 else b"tls13 "
        self.key = hkdf_expand_label(secret, b"key", 16, prefix)
        self.iv = hkdf_expand_label(secret, b"iv", 12, prefix)
        self.draft, self.seq = draft, 0

    def record(self, inner_type, content):
        plain = content + bytes([inner_type])
        nonce = bytes(a ^ b for a, b in zip(self.iv, b"\0\0\0\0" + struct.pack(">Q", self.seq)))
        self.seq += 1
        header = b"\x17\x03\x03" + u16(len(plain) + 16)
        aad = header if self.draft >= 25 else None
        return header + AESGCM(self.key).encrypt(nonce, plain, aad)


def session(draft, index):
    version = 0x7F00 | draft
    cr = rand(32)
    secrets = {label: rand(32) for label in (
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0")}
    sv = u16(43) + u16(3) + b"\x02" + u16(version)
    ks = u16(51) + u16(2 + 4 + 32) + u16(4 + 32) + u16(29) + u16(32) + rand(32)  # x25519
    sni_name = b"tcpfollow.test"
    sni = u16(0) + u16(len(sni_name) + 5) + u16(len(sni_name) + 3) + b"\x00" + u16(len(sni_name)) + sni_name
    exts = sni + sv + ks
    ch = handshake(1, b"\x03\x03" + cr + b"\x00" + u16(2) + u16(0x1301) + b"\x01\x00" + u16(len(exts)) + exts)
    sks = u16(51) + u16(4 + 32) + u16(29) + u16(32) + rand(32)
    if draft < 22:
        sh = handshake(2, u16(version) + rand(32) + u16(0x1301) + u16(len(sks)) + sks)
    else:
        sext = u16(43) + u16(2) + u16(version) + sks
        sh = handshake(2, b"\x03\x03" + rand(32) + b"\x00" + u16(0x1301) + b"\x00" + u16(len(sext)) + sext)
    chs = Sealer(secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], draft)
    shs = Sealer(secrets["SERVER_HANDSHAKE_TRAFFIC_SECRET"], draft)
    cap = Sealer(secrets["CLIENT_TRAFFIC_SECRET_0"], draft)
    sap = Sealer(secrets["SERVER_TRAFFIC_SECRET_0"], draft)
    name = "draft%d.txt" % (2000 + 1000 * index)
    body = (" ".join("tls 1.3 draft %d line %d" % (draft, i) for i in range(600)))[:2000 + 1000 * index].encode()
    request, answer, obj = tlsgen.http_exchange(name, body)
    turns = [
        ("c", plain_record(22, ch, 0x0301)),
        ("s", plain_record(22, sh, 0x0303) + shs.record(22, handshake(8, u16(0)) + handshake(20, rand(32)))),
        ("c", chs.record(22, handshake(20, rand(32))) + cap.record(23, request)),
        ("s", sap.record(23, answer)),
        ("c", cap.record(21, b"\x01\x00")),
        ("s", sap.record(21, b"\x01\x00")),
    ]
    keylog = "".join("%s %s %s\n" % (label, cr.hex(), s.hex()) for label, s in secrets.items())
    return turns, obj, keylog


def main():
    objs, keylog = [], ""
    for i, draft in enumerate(DRAFTS):
        turns, obj, kl = session(draft, i)
        objs.append(obj)
        keylog += kl
        CAPTURE.connection(50200 + i, PORT, turns, i)
    with open(os.path.join(HERE, "tls13_drafts.keylog"), "w") as f:
        f.write(keylog)
    CAPTURE.write(HERE, "tls13_drafts",
                  "TLS 1.3 drafts 18, 23 and 28 (TLS_AES_128_GCM_SHA256), one GET each, "
                  "built by make_tls13_drafts.py: no peer here speaks a draft",
                  "corpus/tls/make_tls13_drafts.py", objs,
                  "--keylog\ncorpus/tls/tls13_drafts.keylog\n", round_usec=True)


if __name__ == "__main__":
    main()
