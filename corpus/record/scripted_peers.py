#!/usr/bin/python3
"""Raw-socket peers that replay a fixed conversation, byte for byte: odd cases made easy.

usage: scripted_peers.py server SCRIPT.json
       scripted_peers.py client SCRIPT.json HOST

SCRIPT.json is a list of conversations, each {"port": P, "steps": [[who, hex], ...]} with
who "c" (the client sends these bytes; the server reads exactly as many) or "s" (the
server sends; the client reads as many), optionally "close": "s" (the server closes
first; default "c"). The server listens on every conversation's port (both address
families) and plays each conversation once, in order per port; the client plays them
in list order. Each step is its own send() with TCP_NODELAY and a short pause, so every
step is its own segment on the wire (recording scripts can then cut exact lines out of a
capture). Neither side parses anything: the conversation is whatever the script says,
however malformed. Run under sockrec.py, which records the bytes for the manifest.
"""
import json
import socket
import sys
import threading
import time

PAUSE = 0.03


def read_exactly(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            raise SystemExit("peer closed after %d of %d bytes" % (len(got), n))
        got += d
    return got


def drain(s):
    while s.recv(65536):
        pass


def play(s, conv, me):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for who, hexdata in conv["steps"]:
        data = bytes.fromhex(hexdata)
        if who == me:
            time.sleep(PAUSE)
            s.sendall(data)
        else:
            read_exactly(s, len(data))
    closer = conv.get("close", "c")
    if closer == me:
        time.sleep(PAUSE)
        s.shutdown(socket.SHUT_WR)
        drain(s)
    else:
        drain(s)
        s.shutdown(socket.SHUT_WR)
    s.close()


def serve(script):
    by_port = {}
    for conv in script:
        by_port.setdefault(conv["port"], []).append(conv)
    threads = []
    for port, convs in by_port.items():
        ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        ls.bind(("::", port))
        ls.listen(16)

        def run(ls=ls, convs=convs):
            for conv in convs:
                c, _ = ls.accept()
                play(c, conv, "s")
        t = threading.Thread(target=run, daemon=True)
        t.start()
        threads.append(t)
    print("listening", flush=True)
    for t in threads:
        t.join()


def client(script, host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for conv in script:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.connect((host, conv["port"]))
        play(s, conv, "c")
        time.sleep(PAUSE)


def main():
    with open(sys.argv[2]) as f:
        script = json.load(f)
    if sys.argv[1] == "server":
        serve(script)
    else:
        client(script, sys.argv[3])


if __name__ == "__main__":
    main()
