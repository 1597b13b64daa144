#!/usr/bin/python3
"""A small HTTP/2 server on python3-h2 for the recordings of this folder (not a library).

  h2_peer.py serve PORT DOCROOT LOG   cleartext: prior knowledge (the client preface) or
                                       HTTP/1.1 with `Upgrade: h2c` (answered 101, the
                                       request becomes stream 1), one connection at a time
  h2_peer.py abort PORT PATH AFTER LOG client: GET PATH by prior knowledge, RST_STREAM CANCEL
                                       once AFTER body bytes arrived, then GOAWAY and close

The server sends files of DOCROOT; a .txt file requested with Accept-Encoding gzip goes
out gzip-encoded (Content-Encoding: gzip, mtime 0 so the bytes are reproducible). A POST
is answered 201 with the body's sha256. LOG gets one JSON line per body (direction,
path, sha256 and length of the decoded bytes), which the recording script checks.
"""
import gzip
import hashlib
import json
import os
import socket
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def log(logfile, **rec):
    with open(logfile, "a") as f:
        f.write(json.dumps(rec) + "\n")


def send_all(sock, conn):
    data = conn.data_to_send()
    if data:
        sock.sendall(data)


class Server:
    def __init__(self, docroot, logpath):
        self.docroot, self.logpath = docroot, logpath

    def respond(self, sock, conn, stream_id, headers, body):
        h = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
             for k, v in headers}
        method, path = h.get(":method", "GET"), h.get(":path", "/")
        if method == "POST":
            digest = hashlib.sha256(body).hexdigest()
            log(self.logpath, direction="request", path=path, sha256=digest, length=len(body))
            out = (digest + "\n").encode()
            resp = [(":status", "201"), ("content-type", "text/plain"),
                    ("content-length", str(len(out)))]
        else:
            fpath = os.path.join(self.docroot, path.lstrip("/"))
            if not os.path.isfile(fpath):
                conn.send_headers(stream_id, [(":status", "404")], end_stream=True)
                send_all(sock, conn)
                return
            data = open(fpath, "rb").read()
            resp = [(":status", "200")]
            if path.endswith(".txt"):
                resp.append(("content-type", "text/plain"))
            out = data
            if path.endswith(".txt") and "gzip" in h.get("accept-encoding", ""):
                out = gzip.compress(data, mtime=0)
                resp.append(("content-encoding", "gzip"))
            resp.append(("content-length", str(len(out))))
            log(self.logpath, direction="response", path=path,
                sha256=hashlib.sha256(data).hexdigest(), length=len(data))
        conn.send_headers(stream_id, resp)
        self.out[stream_id] = [out, 0]
        self.pump(sock, conn)

    def pump(self, sock, conn):
        """Sends queued bodies as far as the flow control windows allow."""
        for sid in list(self.out):
            data, pos = self.out[sid]
            while True:
                window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
                chunk = data[pos:pos + max(window, 0)]
                last = pos + len(chunk) >= len(data)
                if not chunk and not last:
                    break
                conn.send_data(sid, chunk, end_stream=last)
                pos += len(chunk)
                if last:
                    del self.out[sid]
                    break
            if sid in self.out:
                self.out[sid][1] = pos
        send_all(sock, conn)

    def handle(self, sock):
        first = b""
        while len(first) < len(PREFACE) and PREFACE.startswith(first):
            d = sock.recv(65536)
            if not d:
                return
            first += d
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
        pending = {}
        self.out = {}
        if first.startswith(PREFACE):
            conn.initiate_connection()
            events = conn.receive_data(first)
        else:
            # HTTP/1.1, expected to ask for h2c.
            while b"\r\n\r\n" not in first:
                d = sock.recv(65536)
                if not d:
                    return
                first += d
            head, rest = first.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            fields = {}
            hlist = []
            for line in lines[1:]:
                k, v = line.split(":", 1)
                fields[k.strip().lower()] = v.strip()
                hlist.append((k.strip().lower(), v.strip()))
            length = int(fields.get("content-length", "0"))
            while len(rest) < length:
                rest += sock.recv(65536)
            body, rest = rest[:length], rest[length:]
            if fields.get("upgrade", "").lower() != "h2c":
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                return
            sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                         b"Upgrade: h2c\r\n\r\n")
            conn.initiate_upgrade_connection(fields.get("http2-settings", ""))
            send_all(sock, conn)
            req = [(":method", method), (":path", target),
                   (":authority", fields.get("host", ""))] + [
                (k, v) for k, v in hlist if k not in ("host", "connection", "upgrade",
                                                      "http2-settings", "content-length")]
            self.respond(sock, conn, 1, req, body)
            events = conn.receive_data(rest) if rest else []
        send_all(sock, conn)
        while True:
            for ev in events:
                if isinstance(ev, h2.events.RequestReceived):
                    pending[ev.stream_id] = [ev.headers, b""]
                    if ev.stream_ended:
                        self.respond(sock, conn, ev.stream_id, *pending.pop(ev.stream_id))
                elif isinstance(ev, h2.events.DataReceived):
                    pending[ev.stream_id][1] += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id in pending:
                    self.respond(sock, conn, ev.stream_id, *pending.pop(ev.stream_id))
                elif isinstance(ev, h2.events.StreamReset):
                    self.out.pop(ev.stream_id, None)
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    send_all(sock, conn)
                    return
            self.pump(sock, conn)
            d = sock.recv(65536)
            if not d:
                return
            events = conn.receive_data(d)


def serve(port, docroot, logpath):
    srv = socket.socket(socket.AF_INET6 if ":" in os.environ.get("H2_BIND", "") else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((os.environ.get("H2_BIND", "0.0.0.0"), port))
    srv.listen(8)
    s = Server(docroot, logpath)
    while True:
        c, _ = srv.accept()
        try:
            s.handle(c)
        except Exception as e:  # a peer that misbehaves ends its connection only
            print("h2_peer:", repr(e), file=sys.stderr)
        finally:
            c.close()


def abort(host, port, path, after, logpath):
    sock = socket.create_connection((host, port))
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    conn.send_headers(sid, [(":method", "GET"), (":scheme", "http"),
                            (":authority", "%s:%d" % (host, port)), (":path", path),
                            ("user-agent", "h2_peer-abort")], end_stream=True)
    send_all(sock, conn)
    got = b""
    done = False
    while not done:
        d = sock.recv(65536)
        if not d:
            break
        for ev in conn.receive_data(d):
            if isinstance(ev, h2.events.DataReceived):
                got += ev.data
                conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if len(got) >= after:
                    conn.reset_stream(sid, error_code=8)  # CANCEL
                    done = True
                    break
        send_all(sock, conn)
    conn.close_connection()
    send_all(sock, conn)
    sock.close()
    log(logpath, direction="aborted", path=path, received=len(got),
        sha256=hashlib.sha256(got).hexdigest())


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "abort":
        abort(os.environ.get("H2_HOST", "127.0.0.1"), int(sys.argv[2]), sys.argv[3],
              int(sys.argv[4]), sys.argv[5])
    else:
        raise SystemExit(__doc__)
