#!/usr/bin/python3
"""Socket recording shim: the endpoints' own account of every TCP byte stream.

Installed into a Python process (`sockrec.py OUT.jsonl -- script.py args` or
`sockrec.py OUT.jsonl -m module args`), it wraps the methods of socket.socket that
move stream bytes (recv, recv_into, send, sendall, sendmsg, ...) and records, per
TCP connection, who opened it (connect or accept), both endpoints, the start time,
and the sha256 and length of the bytes this process sent and received on it. A
record is appended to OUT as one JSON line when the socket is closed, or at exit.

Used by the corpus recorders so manifests come from the applications (http.server,
aiosmtpd, pyftpdlib, our raw clients), never from a capture. It does not see bytes
moved by os.sendfile (callers disable sendfile) nor sockets of other processes.
A script run under it may `import sockrec` and call sockrec.mark() (e.g. just before a
capture starts): every open connection's record then also holds "after_mark", the
sha256 and length of what was sent and received from that moment on.
"""
import atexit
import hashlib
import json
import os
import runpy
import signal
import socket
import sys
import threading
import time
import weakref

_lock = threading.Lock()
_records = weakref.WeakKeyDictionary()  # socket -> _Record
_all = []
_out_path = None


class _Record:
    def __init__(self, sock, role):
        self.role = role  # "connect" (this side is the client) or "accept"
        self.start = time.time()
        self.local = None
        self.peer = None
        self.tx = hashlib.sha256()
        self.rx = hashlib.sha256()
        self.tx_len = 0
        self.rx_len = 0
        self.rx_eof = False
        self.written = False
        self.mark = None  # [tx hash, tx length, rx hash, rx length] since mark()
        self._fill_addrs(sock)

    def _fill_addrs(self, sock):
        if self.local is None:
            try:
                self.local = sock.getsockname()[:2]
                self.peer = sock.getpeername()[:2]
            except OSError:
                self.local = self.peer = None

    def as_json(self):
        d = {
            "pid": os.getpid(),
            "role": self.role,
            "start": self.start,
            "local": list(self.local) if self.local else None,
            "peer": list(self.peer) if self.peer else None,
            "sent": {"sha256": self.tx.hexdigest(), "length": self.tx_len},
            "received": {"sha256": self.rx.hexdigest(), "length": self.rx_len},
            "received_eof": self.rx_eof,
        }
        if self.mark is not None:
            d["after_mark"] = {"sent": {"sha256": self.mark[0].hexdigest(), "length": self.mark[1]},
                               "received": {"sha256": self.mark[2].hexdigest(),
                                            "length": self.mark[3]}}
        return d


def _is_tcp(sock):
    try:
        return sock.type == socket.SOCK_STREAM and sock.family in (socket.AF_INET, socket.AF_INET6)
    except OSError:
        return False


def _rec(sock, role=None):
    rec = _records.get(sock)
    if rec is None:
        if not _is_tcp(sock):
            return None
        rec = _Record(sock, role or "unknown")
        with _lock:
            _records[sock] = rec
            _all.append(rec)
    else:
        rec._fill_addrs(sock)
    return rec


def _emit(rec):
    with _lock:
        if rec.written or rec.local is None or _out_path is None:
            return
        if rec.tx_len == 0 and rec.rx_len == 0 and not rec.rx_eof:
            return  # listening or never-used sockets
        rec.written = True
        with open(_out_path, "a") as f:
            f.write(json.dumps(rec.as_json()) + "\n")


def _on_rx(sock, data):
    rec = _rec(sock)
    if rec is None:
        return
    if len(data) == 0:
        rec.rx_eof = True
    rec.rx.update(data)
    rec.rx_len += len(data)
    if rec.mark is not None:
        rec.mark[2].update(data)
        rec.mark[3] += len(data)


def _on_tx(sock, data):
    rec = _rec(sock)
    if rec is None:
        return
    data = bytes(data)
    rec.tx.update(data)
    rec.tx_len += len(data)
    if rec.mark is not None:
        rec.mark[0].update(data)
        rec.mark[1] += len(data)


def mark():
    """From now on every open connection's record also counts what moves after this call."""
    with _lock:
        for rec in _all:
            if not rec.written:
                rec.mark = [hashlib.sha256(), 0, hashlib.sha256(), 0]


_orig = {}


def _wrap(name, fn):
    _orig[name] = getattr(socket.socket, name)
    setattr(socket.socket, name, fn)


def install(out_path):
    """Wrap socket.socket in this process; records go to out_path (JSON lines)."""
    global _out_path
    _out_path = out_path
    S = socket.socket

    def connect(self, addr):
        try:
            return _orig["connect"](self, addr)
        finally:
            rec = _rec(self, "connect")
            if rec is not None:
                rec.role = "connect"

    def connect_ex(self, addr):
        r = _orig["connect_ex"](self, addr)
        rec = _rec(self, "connect")
        if rec is not None:
            rec.role = "connect"
        return r

    def accept(self):
        conn, addr = _orig["accept"](self)
        _rec(conn, "accept")
        return conn, addr

    def recv(self, n, *a):
        d = _orig["recv"](self, n, *a)
        if not (a and a[0] & socket.MSG_PEEK):
            _on_rx(self, d)
        return d

    def recv_into(self, buf, nbytes=0, flags=0):
        n = _orig["recv_into"](self, buf, nbytes, flags)
        if not flags & socket.MSG_PEEK:
            _on_rx(self, memoryview(buf)[:n].tobytes())
        return n

    def recvmsg(self, *a):
        r = _orig["recvmsg"](self, *a)
        _on_rx(self, r[0])
        return r

    def send(self, data, *a):
        n = _orig["send"](self, data, *a)
        _on_tx(self, memoryview(data)[:n])
        return n

    def sendall(self, data, *a):
        r = _orig["sendall"](self, data, *a)
        _on_tx(self, data)
        return r

    def sendmsg(self, buffers, *a):
        buffers = [bytes(b) for b in buffers]
        n = _orig["sendmsg"](self, buffers, *a)
        _on_tx(self, b"".join(buffers)[:n])
        return n

    def sendfile(self, file, offset=0, count=None):
        return self._sendfile_use_send(file, offset, count)

    def close(self):
        rec = _records.get(self)
        if rec is not None:
            _emit(rec)
        return _orig["close"](self)

    def shutdown(self, how):
        rec = _records.get(self)
        if rec is not None:
            rec._fill_addrs(self)
        return _orig["shutdown"](self, how)

    for name, fn in [("connect", connect), ("connect_ex", connect_ex), ("accept", accept),
                     ("recv", recv), ("recv_into", recv_into), ("recvmsg", recvmsg),
                     ("send", send), ("sendall", sendall), ("sendmsg", sendmsg),
                     ("sendfile", sendfile), ("close", close), ("shutdown", shutdown)]:
        _wrap(name, fn)

    def flush():
        for rec in list(_all):
            _emit(rec)

    atexit.register(flush)
    # SIGTERM ends the process through SystemExit so the atexit flush runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit("usage: sockrec.py OUT.jsonl (-m MODULE | [--] SCRIPT) [ARGS...]")
    install(args[0])
    sys.modules.setdefault("sockrec", sys.modules[__name__])  # `import sockrec` finds this one
    rest = args[1:]
    if rest[0] == "--":
        rest = rest[1:]
    if rest[0] == "-m":
        sys.argv = [rest[1]] + rest[2:]
        runpy.run_module(rest[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = rest
        sys.path.insert(0, os.path.dirname(os.path.abspath(rest[0])))
        runpy.run_path(rest[0], run_name="__main__")


if __name__ == "__main__":
    main()
