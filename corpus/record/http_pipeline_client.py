#!/usr/bin/python3
"""Raw-socket HTTP/1.1 client that pipelines requests: http_pipeline_client.py HOST PORT.

Connection 1: four GETs in one send(), then a fifth with Connection: close; reads
until the server closes. Connection 2: two GETs written in two send()s split in the
middle of the second request line, then Connection: close on the second. It does
not parse responses: sockrec.py records the bytes, the server logs the bodies.
"""
import socket
import sys
import time


def req(path, host, close=False, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: corpus-pipeliner\r\n"
            "Accept-Encoding: gzip\r\n%s%s\r\n" % (path, host, extra,
                                                   "Connection: close\r\n" if close else "")).encode()


def read_all(s):
    n = 0
    while True:
        d = s.recv(65536)
        if not d:
            return n
        n += len(d)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    hosthdr = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.connect((host, port))
    s.sendall(req("/chunked/p5000.bin", hosthdr) + req("/obj/p7000.bin", hosthdr) +
              req("/nothing/here", hosthdr) + req("/gzip/p9000.txt", hosthdr))
    time.sleep(0.05)
    s.sendall(req("/obj/last3000.txt", hosthdr, close=True))
    read_all(s)
    s.close()

    s = socket.socket(fam, socket.SOCK_STREAM)
    s.connect((host, port))
    two = req("/obj/q2000.bin", hosthdr) + req("/chunked/q3000.txt", hosthdr, close=True)
    cut = len(req("/obj/q2000.bin", hosthdr)) + 9
    s.sendall(two[:cut])
    time.sleep(0.05)
    s.sendall(two[cut:])
    read_all(s)
    s.close()


if __name__ == "__main__":
    main()
