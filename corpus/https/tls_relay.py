#!/usr/bin/python3
"""Byte-for-byte TCP relay in front of a TLS server that Python cannot wrap (openssl s_server).

  sockrec.py REC -- tls_relay.py --port 4433 --backend 127.0.0.1:4434

Listens on [::]:PORT (IPv4 too) and, per accepted connection, opens one connection to
BACKEND and copies bytes both ways unchanged, passing each end-of-stream on as a
half-close (shutdown SHUT_WR) and closing when both directions have ended. Run under
sockrec.py, its accepted sockets give the manifest the raw TCP streams (TLS records
included) the lab client exchanged with "the server", counted by an endpoint rather
than read back from the capture. The backend connection is loopback and is left out of
manifests. It does not look at or change the bytes, and does not forward RSTs.
"""
import argparse
import socket
import threading


def pump(src, dst):
    """Copies src to dst until EOF (or an error) on src; then half-closes dst."""
    dst_ok = True
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        if not data:
            break
        if dst_ok:
            try:
                dst.sendall(data)
            except OSError:
                dst_ok = False  # keep reading src so its bytes are all counted
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def relay(client, backend_addr):
    backend = socket.create_connection(backend_addr)
    up = threading.Thread(target=pump, args=(client, backend))
    up.start()
    pump(backend, client)
    up.join()
    backend.close()
    client.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--backend", required=True, help="HOST:PORT")
    a = p.parse_args()
    host, port = a.backend.rsplit(":", 1)
    backend_addr = (host, int(port))
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", a.port))
    ls.listen(16)
    print("listening", flush=True)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=relay, args=(conn, backend_addr), daemon=True).start()


if __name__ == "__main__":
    main()
