#!/usr/bin/python3
"""Records the corpus/tls captures that go through the golden suite, with openssl s_server and
s_client in the recording lab (corpus/record/lab.py: client and server namespaces "tlsl-*",
198.18.0.1 -> 198.18.0.2, no loss), ports 21000-21999.

Each capture gets NAME.pcap (or .pcapng), NAME.manifest.json (raw TCP stream hashes counted
by tls_relay.py under sockrec in front of s_server, the objects s_server -WWW served),
NAME.args (tcpfollow arguments, when it needs any) and its key log. Captures:

  keylog_nonl      TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256, s_client GETs /nonl4000.txt. Its key
                   log is s_client's with a line that cannot be parsed inserted as line 2
                   and the final newline removed (the last, needed line has none).
  two_dsb          two connections, TLS 1.3 (GET /tlsone9000.bin) and TLS 1.2 ChaCha20
                   (GET /tlstwo3000.txt), each client with its own key log; the pcap is made
                   pcapng and each key log becomes a Decryption Secrets Block placed AFTER the
                   packets of its connection (the second one is the file's last block). No
                   tcpfollow arguments: every block must be used.
  no_key_alerts    TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384 GET /nokey2000.txt with no key given
                   (decrypted false, reason naming the suite, close_notify by name), and a
                   client offering only a suite the server refuses (handshake_failure alert).
  reneg_resumed    TLS 1.2: one connection saves its session; a second resumes it
                   (-sess_in), then renegotiates (s_client's "R" command: a full handshake),
                   then GETs /reneg3000.txt: the two handshakes differ in `resumed`.
                   Decrypted with the key log (both handshakes' CLIENT_RANDOM lines).
  early_data_nokey TLS 1.3 0-RTT: a first connection saves a ticket, a second sends the
                   request "GET /early.txt" as early data (s_client -early_data) and, after the
                   handshake, two more requests. s_server -early_data accepts it. The key log
                   has every secret except CLIENT_EARLY_TRAFFIC_SECRET: the early data must
                   become a gap in the client's plaintext and the later requests be parsed.

Run as root from anywhere:  python3 corpus/tls/record_lab.py [NAME ...]
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
sys.path.insert(0, os.path.join(HERE, "..", "https"))
import lab  # noqa: E402
import https_lab  # noqa: E402

CERT = os.path.join(HERE, "server.crt.pem")
KEY = os.path.join(HERE, "server.key.pem")
RELAY_PORT, SERVER_PORT = 21000, 21001
SERVER = "%s:%d" % (lab.SERVER4, RELAY_PORT)


def rel(path):
    return os.path.relpath(path, os.path.join(HERE, "..", ".."))


def start_server(L, docroot, extra=(), www=True):
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:%d" % SERVER_PORT, "-cert", CERT,
            "-key", KEY, "-quiet"] + (["-WWW"] if www else []) + list(extra)
    p = L.popen_ns(L.sns, argv, cwd=docroot, stdin=subprocess.PIPE if not www else subprocess.DEVNULL,
                   stdout=subprocess.PIPE if not www else subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    L.wait_listen(L.sns, SERVER_PORT)
    https_lab.start_relay(L, RELAY_PORT, "127.0.0.1:%d" % SERVER_PORT)
    return p


def get(L, path, keylog, extra=(), must_work=True):
    """s_client GET path HTTP/1.0; returns the response body."""
    out = L.run_ns(L.cns, ["openssl", "s_client", "-connect", SERVER, "-quiet", "-ign_eof",
                           "-servername", "tcpfollow.test"] + (["-keylogfile", keylog] if keylog else []) +
                   list(extra), input=b"GET /%s HTTP/1.0\r\n\r\n" % path.encode(),
                   capture_output=True, check=must_work).stdout
    return out.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in out else b""


def check(body, o, what):
    if lab.sha256_bytes(body) != o["sha256"]:
        raise SystemExit("%s: client got %d bytes, server sent %d" % (what, len(body), o["length"]))


def write_args(name, args):
    with open(os.path.join(HERE, name + ".args"), "w") as f:
        f.write("\n".join(args) + "\n")


def fresh(*paths):
    for p in paths:
        if os.path.exists(p):
            os.remove(p)


def record_keylog_nonl():
    name = "keylog_nonl"
    pcap, keylog = os.path.join(HERE, name + ".pcap"), os.path.join(HERE, name + ".keylog")
    fresh(keylog)
    with lab.Lab(prefix="tlsl") as L:
        objs = https_lab.write_docroot(os.path.join(L.tmp, "www"), ["nonl4000.txt"])
        start_server(L, os.path.join(L.tmp, "www"))
        L.start_capture(pcap)
        body = get(L, "nonl4000.txt", keylog, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
        check(body, objs["nonl4000.txt"], name)
        L.stop_capture()
        L.stop_all()
        lines = open(keylog).read().rstrip("\n").split("\n")
        lines.insert(1, "CLIENT_RANDOM this-line-is-not-hex 0123")
        with open(keylog, "w") as f:
            f.write("\n".join(lines))  # no final newline
        lab.finish(L, pcap, os.path.join(HERE, name + ".manifest.json"), "TLS 1.2 ECDHE GET /nonl4000.txt; key log with an unparsable line 2 "
                   "and no final newline",
                   objects=[objs["nonl4000.txt"]])
    write_args(name, ["--keylog", rel(keylog)])


def pcapng_blocks(data):
    """(type, bytes) of each block of a little-endian pcapng file."""
    out, i = [], 0
    while i < len(data):
        t, n = struct.unpack_from("<II", data, i)
        out.append((t, data[i:i + n]))
        i += n
    return out


def dsb(text):
    body = struct.pack("<II", 0x544c534b, len(text)) + text
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", 0x0A, n) + body + struct.pack("<I", n)


def record_two_dsb():
    name = "two_dsb"
    pcap = os.path.join(HERE, name + ".pcapng")
    with lab.Lab(prefix="tlsl") as L:
        files = ["tlsone9000.bin", "tlstwo3000.txt"]
        objs = https_lab.write_docroot(os.path.join(L.tmp, "www"), files)
        start_server(L, os.path.join(L.tmp, "www"))
        raw = os.path.join(L.tmp, "raw.pcap")
        L.start_capture(raw)
        k1, k2 = os.path.join(L.tmp, "k1"), os.path.join(L.tmp, "k2")
        check(get(L, files[0], k1, ["-tls1_3"]), objs[files[0]], name)
        time.sleep(0.5)
        check(get(L, files[1], k2, ["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]), objs[files[1]], name)
        L.stop_capture()
        L.stop_all()
        ng = os.path.join(L.tmp, "raw.pcapng")
        subprocess.run(["editcap", "-F", "pcapng", raw, ng], check=True)
        blocks = pcapng_blocks(open(ng, "rb").read())
        # The second connection starts with the first packet whose TCP source port differs
        # from the first packet's: put the first key log right before it (after the first
        # connection's packets) and the second at the end.
        packets = [i for i, (t, _) in enumerate(blocks) if t == 6]
        first_sport = None
        split = None
        for i in packets:
            b = blocks[i][1]
            frame = b[28:]
            ip = frame[14:]
            sport, dport = struct.unpack_from(">HH", ip, (ip[0] & 15) * 4)
            client_port = sport if dport == RELAY_PORT else dport
            if first_sport is None:
                first_sport = client_port
            elif client_port != first_sport:
                split = i
                break
        assert split is not None
        out = b"".join(b for _, b in blocks[:split]) + dsb(open(k1, "rb").read())
        out += b"".join(b for _, b in blocks[split:]) + dsb(open(k2, "rb").read())
        with open(pcap, "wb") as f:
            f.write(out)
        lab.finish(L, pcap, os.path.join(HERE, name + ".manifest.json"),
                   "two connections (TLS 1.3, TLS 1.2 ChaCha20), each key log in a pcapng "
                   "Decryption Secrets Block after its connection's packets",
                   objects=[objs[f] for f in files])


def record_no_key_alerts():
    name = "no_key_alerts"
    pcap = os.path.join(HERE, name + ".pcap")
    with lab.Lab(prefix="tlsl") as L:
        objs = https_lab.write_docroot(os.path.join(L.tmp, "www"), ["nokey2000.txt"])
        start_server(L, os.path.join(L.tmp, "www"), ["-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"])
        L.start_capture(pcap)
        check(get(L, "nokey2000.txt", None, ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]),
              objs["nokey2000.txt"], name)
        time.sleep(0.3)
        # Only a suite the server does not enable: handshake_failure.
        get(L, "nokey2000.txt", None, ["-tls1_2", "-cipher", "AES128-SHA"], must_work=False)
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, name + ".manifest.json"),
                   "TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384 with no key given, and a handshake the "
                   "server refuses with a handshake_failure alert", objects=[])


def record_reneg_resumed():
    name = "reneg_resumed"
    pcap, keylog = os.path.join(HERE, name + ".pcap"), os.path.join(HERE, name + ".keylog")
    fresh(keylog)
    with lab.Lab(prefix="tlsl") as L:
        objs = https_lab.write_docroot(os.path.join(L.tmp, "www"), ["reneg3000.txt", "first1000.txt"])
        start_server(L, os.path.join(L.tmp, "www"), ["-no_ticket", "-client_renegotiation"])
        L.start_capture(pcap)
        sess = os.path.join(L.tmp, "sess.pem")
        check(get(L, "first1000.txt", keylog, ["-tls1_2", "-sess_out", sess]), objs["first1000.txt"], name)
        time.sleep(0.3)
        # Interactive s_client (no -quiet/-ign_eof): "R" renegotiates; the request follows.
        p = L.popen_ns(L.cns, ["openssl", "s_client", "-connect", SERVER, "-tls1_2", "-sess_in", sess,
                               "-keylogfile", keylog, "-servername", "tcpfollow.test"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.stdin.write(b"R\n")
        p.stdin.flush()
        time.sleep(1.0)
        p.stdin.write(b"GET /reneg3000.txt HTTP/1.0\r\n\r\n")
        p.stdin.flush()
        time.sleep(1.5)
        p.stdin.close()
        out, err = p.stdout.read(), p.stderr.read()
        p.wait(10)
        text = out.decode("latin-1") + err.decode("latin-1")
        if "Reused, TLSv1.2" not in text or "RENEGOTIATING" not in text:
            raise SystemExit("%s: the second connection did not resume and renegotiate:\n%s" % (name, text[:2000]))
        body = out.split(b"\r\n\r\n", 1)[1]
        if body.endswith(b"closed\n"):  # interactive s_client says so on stdout
            body = body[:-len(b"closed\n")]
        check(body, objs["reneg3000.txt"], name)
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, name + ".manifest.json"),
                   "TLS 1.2: a resumed connection renegotiates with a full handshake, then GETs "
                   "/reneg3000.txt", objects=[objs["first1000.txt"], objs["reneg3000.txt"]])
    write_args(name, ["--keylog", rel(keylog)])


def record_early_data_nokey():
    name = "early_data_nokey"
    pcap, keylog = os.path.join(HERE, name + ".pcap"), os.path.join(HERE, name + ".keylog")
    fresh(keylog)
    early = b"GET /early.txt HTTP/1.1\r\nHost: tcpfollow.test\r\nX-Early: yes\r\n\r\n"
    later = (b"GET /later1.txt HTTP/1.1\r\nHost: tcpfollow.test\r\n\r\n"
             b"GET /later2.txt HTTP/1.1\r\nHost: tcpfollow.test\r\n\r\n")
    with lab.Lab(prefix="tlsl") as L:
        os.makedirs(os.path.join(L.tmp, "www"))
        server = start_server(L, os.path.join(L.tmp, "www"), ["-early_data", "-tls1_3"], www=False)
        L.start_capture(pcap)
        sess = os.path.join(L.tmp, "sess.pem")
        full = os.path.join(L.tmp, "full.keylog")
        # Interactive s_client: it stays until stdin ends, by then it has the ticket.
        first = L.popen_ns(L.cns, ["openssl", "s_client", "-connect", SERVER, "-tls1_3",
                                   "-servername", "tcpfollow.test", "-sess_out", sess, "-keylogfile", full],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        first.stdin.close()
        first.wait(10)
        time.sleep(0.5)
        ef = os.path.join(L.tmp, "early.txt")
        with open(ef, "wb") as f:
            f.write(early)
        p = L.popen_ns(L.cns, ["openssl", "s_client", "-connect", SERVER, "-tls1_3",
                               "-servername", "tcpfollow.test", "-sess_in", sess, "-early_data", ef,
                               "-keylogfile", full],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.stdin.write(later)
        p.stdin.flush()
        time.sleep(1.0)
        p.stdin.close()
        p.wait(10)
        L.stop_capture()
        server.stdin.close()
        L.stop_all()
        got = server.stdout.read()
        if early not in got or later not in got:
            raise SystemExit("%s: s_server did not get the early data and the requests: %r" % (name, got[:500]))
        kept = [l for l in open(full).read().splitlines() if not l.startswith("CLIENT_EARLY_TRAFFIC_SECRET")]
        if len(kept) == len(open(full).read().splitlines()):
            raise SystemExit("%s: no CLIENT_EARLY_TRAFFIC_SECRET was logged (no 0-RTT?)" % name)
        with open(keylog, "w") as f:
            f.write("\n".join(kept) + "\n")
        notes = {"early_data": early.decode(), "after_handshake": later.decode(),
                 "client_plain_after_gap_sha256": lab.sha256_bytes(later),
                 "early_data_length": len(early)}
        lab.finish(L, pcap, os.path.join(HERE, name + ".manifest.json"),
                   "TLS 1.3 0-RTT request whose CLIENT_EARLY_TRAFFIC_SECRET is not in the key "
                   "log, then two requests after the handshake", objects=[], notes=notes)
    write_args(name, ["--keylog", rel(keylog)])


PSK_HEX = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
PSK_SUITES = [  # (OpenSSL name, decryptable from --psk [+ --rsa-key] alone)
    ("PSK-AES128-CBC-SHA", True), ("PSK-AES256-GCM-SHA384", True), ("PSK-AES128-CCM", True),
    ("PSK-AES128-CCM8", True), ("PSK-CHACHA20-POLY1305", True), ("RSA-PSK-AES128-GCM-SHA256", True),
    ("RSA-PSK-CHACHA20-POLY1305", True), ("RSA-PSK-AES256-CBC-SHA384", True),
    ("DHE-PSK-AES128-GCM-SHA256", False), ("DHE-PSK-CHACHA20-POLY1305", False),
    ("ECDHE-PSK-AES128-CBC-SHA256", False), ("ECDHE-PSK-CHACHA20-POLY1305", False),
]


def record_psk_suites():
    """psk_suites.pcap: one TLS 1.2 connection per PSK suite (PSK, RSA_PSK, DHE_PSK,
    ECDHE_PSK; CBC, GCM, CCM, CCM_8, ChaCha20), each GETting its own file from s_server -psk.
    Two manifests read it: psk_keylog (--keylog: every session) and psk_flag (--psk
    IDENTITY:HEX and --rsa-key: PSK and RSA_PSK sessions; DHE/ECDHE_PSK ones say why)."""
    pcap, keylog = os.path.join(HERE, "psk_suites.pcap"), os.path.join(HERE, "psk_suites.keylog")
    fresh(keylog)
    files = ["psk%s2000.txt" % chr(ord("a") + i) for i in range(len(PSK_SUITES))]
    with lab.Lab(prefix="tlsl") as L:
        objs = https_lab.write_docroot(os.path.join(L.tmp, "www"), files)
        start_server(L, os.path.join(L.tmp, "www"), ["-psk", PSK_HEX, "-psk_identity", "tcpfollow",
                                                     "-cipher", "PSK:ALL:@SECLEVEL=0", "-tls1_2"])
        L.start_capture(pcap)
        for (suite, _), f in zip(PSK_SUITES, files):
            check(get(L, f, keylog, ["-tls1_2", "-psk", PSK_HEX, "-psk_identity", "tcpfollow",
                                     "-cipher", suite + ":@SECLEVEL=0"]), objs[f], suite)
            time.sleep(0.2)
        L.stop_capture()
        L.stop_all()
        m = lab.finish(L, pcap, os.path.join(HERE, "psk_keylog.manifest.json"),
                       "TLS 1.2 PSK suites, one connection each, decrypted with the key log",
                       objects=[objs[f] for f in files], notes={"suites": [s for s, _ in PSK_SUITES]})
    m["description"] = ("TLS 1.2 PSK suites, one connection each, decrypted with --psk and "
                        "--rsa-key: PSK and RSA_PSK sessions (DHE/ECDHE_PSK need a key log)")
    m["objects"] = [objs[f] for (s, ok), f in zip(PSK_SUITES, files) if ok]
    lab.write_manifest(m, os.path.join(HERE, "psk_flag.manifest.json"))
    write_args("psk_keylog", ["--keylog", rel(keylog)])
    write_args("psk_flag", ["--psk", "tcpfollow:" + PSK_HEX, "--rsa-key", rel(KEY)])


RECORDERS = {
    "keylog_nonl": record_keylog_nonl,
    "two_dsb": record_two_dsb,
    "no_key_alerts": record_no_key_alerts,
    "reneg_resumed": record_reneg_resumed,
    "early_data_nokey": record_early_data_nokey,
    "psk_suites": record_psk_suites,
}


def main():
    names = sys.argv[1:] or list(RECORDERS)
    for n in names:
        RECORDERS[n]()


if __name__ == "__main__":
    main()
