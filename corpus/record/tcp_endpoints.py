#!/usr/bin/python3
"""Raw TCP endpoints for the corpus and the live test: deterministic bytes both ways.

  server --listen ADDR --port P
  client --connect ADDR --port P [--conns K] [--send N] [--reply M] [--seed S]
         [--mode halfclose|serverclose|rst] [--bind-port P] [--chunk C --pause-ms T]

Every connection starts with a 28-byte header from the client (magic, seed, request
length, reply length, reply chunk size, pause between chunks, mode), so one server
serves every capture. The client sends the header plus `send` bytes of
random.Random(seed) data; the server answers with `reply` bytes of
random.Random(seed + 1) data in chunks of `chunk`, pausing `pause_ms` between them.
Modes: halfclose: both sides send at once, the client half-closes when done and the
server closes after its reply; serverclose: the server reads the whole request,
replies and closes first (no TIME_WAIT on the client, so its port can be reused at
once); rst: the client reads `rst_after` reply bytes and aborts with SO_LINGER 0
while the server is still pausing between chunks (nothing more is on the wire).
Byte accounting is sockrec.py's job; this file only moves bytes. With --summary,
the client also prints one JSON line per connection with its own sha256s.
"""
import argparse
import hashlib
import json
import random
import socket
import struct
import sys
import threading
import time

MAGIC = b"TFC1"
HEADER = struct.Struct("!4sIQQHHH")  # magic seed send reply chunk(KiB) pause_ms mode
MODES = {"halfclose": 0, "serverclose": 1, "rst": 2}


def payload(seed, n):
    return random.Random(seed).randbytes(n)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        d = sock.recv(min(65536, n - len(buf)))
        if not d:
            raise EOFError("peer closed after %d of %d bytes" % (len(buf), n))
        buf += d
    return bytes(buf)


def drain(sock, limit=None):
    """Reads until EOF (or RST); returns the byte count."""
    total = 0
    try:
        while limit is None or total < limit:
            d = sock.recv(65536 if limit is None else min(65536, limit - total))
            if not d:
                break
            total += len(d)
    except ConnectionResetError:
        pass
    return total


def serve_one(conn):
    try:
        magic, seed, send_len, reply_len, chunk_k, pause_ms, mode = HEADER.unpack(
            recv_exact(conn, HEADER.size))
        if magic != MAGIC:
            return
        reply = payload(seed + 1, reply_len)
        chunk = max(1, chunk_k) * 1024
        reader = None
        if mode == MODES["halfclose"]:
            reader = threading.Thread(target=drain, args=(conn,))
            reader.start()
        else:
            recv_exact(conn, send_len)
        try:
            for off in range(0, len(reply), chunk):
                conn.sendall(reply[off:off + chunk])
                if pause_ms and off + chunk < len(reply):
                    time.sleep(pause_ms / 1000.0)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if reader:
            reader.join()
            conn.shutdown(socket.SHUT_WR)
        elif mode == MODES["serverclose"]:
            conn.shutdown(socket.SHUT_WR)
            drain(conn)
        else:
            drain(conn)
    finally:
        conn.close()


def server(args):
    fam = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.listen, args.port))
    ls.listen(128)
    print("listening", flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve_one, args=(conn,), daemon=True).start()


def client_one(args, i, results):
    seed = args.seed + 1000 * i
    body = payload(seed, args.send)
    reply_len = args.reply
    hdr = HEADER.pack(MAGIC, seed, args.send, reply_len, args.chunk, args.pause_ms,
                      MODES[args.mode])
    fam = socket.AF_INET6 if ":" in args.connect else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.bind_port:
        # Port reuse: the previous connection on this 4-tuple may still be closing.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for attempt in range(100):
            try:
                s.bind(("", args.bind_port))
                s.connect((args.connect, args.port))
                break
            except OSError:
                s.close()
                time.sleep(0.2)
                s = socket.socket(fam, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            raise SystemExit("could not reuse port %d" % args.bind_port)
    else:
        s.connect((args.connect, args.port))
    got = hashlib.sha256()
    got_len = 0
    sent = hdr + body

    def reader():
        nonlocal got_len
        limit = args.rst_after if args.mode == "rst" else None
        while limit is None or got_len < limit:
            d = s.recv(65536 if limit is None else min(65536, limit - got_len))
            if not d:
                break
            got.update(d)
            got_len += len(d)

    t = threading.Thread(target=reader)
    t.start()
    step = args.write_size
    for off in range(0, len(sent), step):
        s.sendall(sent[off:off + step])
        if args.write_pause_ms:
            time.sleep(args.write_pause_ms / 1000.0)
    if args.mode == "halfclose":
        s.shutdown(socket.SHUT_WR)
    t.join()
    if args.mode == "rst":
        time.sleep(0.1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    local = s.getsockname()[:2]
    s.close()
    expect = payload(seed + 1, reply_len)
    if args.mode == "rst":
        expect = expect[:args.rst_after]
    if got.hexdigest() != hashlib.sha256(expect).hexdigest():
        print("client %d: reply mismatch (%d bytes)" % (i, got_len), file=sys.stderr)
        results[i] = None
        return
    results[i] = {"local": list(local), "c2s_sha256": hashlib.sha256(sent).hexdigest(),
                  "c2s_length": len(sent), "s2c_sha256": got.hexdigest(), "s2c_length": got_len}


def client(args):
    results = [None] * args.conns
    threads = []
    for i in range(args.conns):
        t = threading.Thread(target=client_one, args=(args, i, results))
        t.start()
        threads.append(t)
        if args.sequential:
            t.join()
        if args.stagger_ms:
            time.sleep(args.stagger_ms / 1000.0)
    for t in threads:
        t.join()
    if args.summary:
        for r in results:
            print(json.dumps(r))
    if any(r is None for r in results):
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--listen", default="0.0.0.0")
    p.add_argument("--connect")
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--bind-port", type=int, default=0)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--send", type=int, default=10000)
    p.add_argument("--reply", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--chunk", type=int, default=16, help="reply chunk, KiB")
    p.add_argument("--pause-ms", type=int, default=0)
    p.add_argument("--write-size", type=int, default=4096)
    p.add_argument("--write-pause-ms", type=int, default=0, help="pause after each client write")
    p.add_argument("--mode", choices=list(MODES), default="halfclose")
    p.add_argument("--rst-after", type=int, default=0)
    p.add_argument("--stagger-ms", type=int, default=0)
    p.add_argument("--sequential", action="store_true", help="one connection after another")
    p.add_argument("--summary", action="store_true")
    args = p.parse_args()
    server(args) if args.role == "server" else client(args)


if __name__ == "__main__":
    main()
