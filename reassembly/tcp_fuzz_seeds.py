#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/tcp_reassembly_fuzz.cc to corpus/fuzz/tcp_reassembly_fuzz/.

Run from the repository root: python3 reassembly/tcp_fuzz_seeds.py
Record layout: [side | flags << 1 | port << 6][length:2][seq delta:2][ack delta:2][t][payload],
seq/ack deltas relative to each side's cursor (which follows that side's data).
"""
import os
import struct

FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16
C, S = 0, 1


def rec(side, flags, payload=b"", seq=0, ack=0, t=0, port=0):
    body = struct.pack(">hhB", seq, ack, t) + payload
    return bytes([side | (flags << 1) | (port << 6)]) + struct.pack(">H", len(body)) + body


def handshake(port=0):
    return (rec(C, SYN, port=port) + rec(S, SYN | ACK, port=port) + rec(C, ACK, port=port))


SEEDS = {
    "http_fin": bytes([0]) + handshake() + rec(C, ACK | PSH, b"GET / HTTP/1.1\r\n\r\n")
    + rec(S, ACK, b"HTTP/1.1 200 OK\r\n\r\nbody") + rec(S, ACK | FIN) + rec(C, ACK | FIN)
    + rec(S, ACK),
    "out_of_order_overlap": bytes([3]) + handshake() + rec(C, ACK, b"CCCC", seq=8)
    + rec(C, ACK, b"BBBBBB", seq=-8) + rec(C, ACK, b"XXXX", seq=-10)
    + rec(C, ACK, b"AAAA", seq=-20) + rec(C, ACK, b"ZZZZZZZZZZZZZZZZ", seq=-4),
    "ack_past_hole": bytes([1]) + handshake() + rec(C, ACK, b"aaaa")
    + rec(C, ACK, b"cccc", seq=4) + rec(S, ACK, b"ok", ack=0),
    "rst_pending": bytes([2]) + handshake() + rec(C, ACK, b"ab") + rec(C, ACK, b"fg", seq=3)
    + rec(C, RST | ACK, seq=-4),
    "port_reuse": bytes([4]) + handshake() + rec(C, ACK | FIN) + rec(S, ACK | FIN)
    + rec(C, SYN, seq=1000, t=1) + rec(C, ACK, b"again") + rec(C, SYN, seq=-3000, t=1),
    "many_connections": bytes([5]) + b"".join(
        handshake(p) + rec(C, ACK, b"data%d" % p, port=p, t=1) for p in range(4))
    + rec(S, ACK, b"late", port=0, t=50),
    "buffer_caps": bytes([6]) + handshake() + b"".join(
        rec(C, ACK, bytes([65 + i]) * 20, seq=30 if i == 0 else 10) for i in range(8))
    + handshake(1) + rec(C, ACK, b"y" * 60, seq=50, port=1),
    "midstream_keepalive": bytes([0]) + rec(S, ACK | PSH, b"220 ready\r\n")
    + rec(S, ACK, b"\n", seq=-1) + rec(C, ACK, b"HELO x\r\n") + rec(S, ACK, b"", seq=0)
    + rec(C, FIN | ACK, t=100),
}

out = "corpus/fuzz/tcp_reassembly_fuzz"
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("wrote", len(SEEDS), "seeds to", out)
