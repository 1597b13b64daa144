#!/usr/bin/python3
"""corpus/record/http_server.py over TLS: the same HTTP/1.1 keep-alive handler and object log, behind ssl.

  tls_http_server.py --listen ::1 --port 4435 --objects OUT.jsonl --cert C --key K

Every accepted connection is wrapped with Python's ssl module (server side, default
settings: TLS 1.3 preferred) before http.server reads from it; at the end of a
connection the server sends close_notify (unwrap), then half-closes and drains. Run
behind tls_relay.py, whose sockrec record gives the raw TCP streams (sockrec cannot
see the bytes an SSLSocket moves). Objects are logged decoded, as http_server.py does.
"""
import argparse
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import http_server  # noqa: E402


class TlsServer(http_server.Server):
    context = None

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True), addr

    def shutdown_request(self, request):
        try:
            request.settimeout(5)
            raw = request.unwrap()  # close_notify both ways
            raw.shutdown(socket.SHUT_WR)
            while raw.recv(65536):
                pass
            raw.close()
        except (OSError, ValueError):
            pass
        self.close_request(request)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", default="::1")
    p.add_argument("--port", type=int, default=4435)
    p.add_argument("--objects", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    a = p.parse_args()
    http_server.OBJECTS_PATH = a.objects
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    TlsServer.context = ctx
    srv = TlsServer((a.listen, a.port), http_server.Handler)
    print("listening", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
