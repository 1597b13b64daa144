#!/usr/bin/python3
"""Records the HTTP/2 captures of this folder between real peers, with loss.

Each capture runs in the recording lab (../record/lab.py: client and server network
namespaces "http2r-*" joined by two bridges that drop 3% of TCP frames each way, tcpdump
between them), on ports 20443-20484:
  tls13.pcap  curl --http2 -Z (one connection, three concurrent streams) fetches
              one.bin (1 byte), big.bin (200 KB) and text.txt.gz from nghttpd over
              TLS 1.3; curl writes its secrets to tls13.keylog (SSLKEYLOGFILE)
  tls12.pcap  the same with --tls-max 1.2 (ECDHE-RSA-AES128-GCM-SHA256), tls12.keylog
  prior.pcap  curl --http2-prior-knowledge against nghttpd --no-tls: one.bin and text.txt,
              one connection each (curl 7.88.1 cannot reuse one, see prior()), then
              nghttp fetching both concurrently on one connection
  h2c.pcap    curl --http2 --compressed over cleartext: text.txt asks for `Upgrade: h2c`,
              h2_peer.py answers 101 and sends it gzip-encoded (Content-Encoding: gzip) on
              stream 1
  push.pcap   nghttp fetches /index.html from nghttpd --no-tls -p, which pushes /style.css
  post.pcap   curl --http2-prior-knowledge POSTs upload.bin (50 KB) to h2_peer.py
  abort.pcap  h2_peer.py's client GETs big.bin from nghttpd --no-tls and sends
              RST_STREAM (CANCEL) after 30000 bytes
  prior_gap.pcap  prior.pcap with one server segment of nghttp's connection cut out (and
              its retransmissions): a hole inside text.txt's body, never filled
objects.json lists, per capture, the sha256 and length of every body the peers sent
or received (the served files; the upload as h2_peer.py hashed it; the clients' saved
files are checked against them here). nghttpd does not apply content codings, so its
text.txt.gz is an object as is; gzip content coding comes from h2_peer.py.
Run as root: scripts/setup.sh --all installs the peers.
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "record"))
import lab  # noqa: E402

CERT = os.path.join(os.path.dirname(HERE), "https", "server.crt.pem")
KEY = os.path.join(os.path.dirname(HERE), "https", "server.key.pem")
PEER = os.path.join(HERE, "h2_peer.py")
SERVER = lab.SERVER4


def sha(data):
    return hashlib.sha256(data).hexdigest()


def write_docroot(root):
    os.makedirs(root, exist_ok=True)
    rng = random.Random(20)
    text = "".join("line %d: HTTP/2 streams are transactions, bodies are objects.\n" % i
                   for i in range(400)).encode()
    files = {
        "one.bin": b"\x2a",
        "big.bin": bytes(rng.getrandbits(8) for _ in range(200 * 1024)),
        "text.txt": text,
        "text.txt.gz": __import__("gzip").compress(text, mtime=0),
        "upload.bin": bytes(rng.getrandbits(8) for _ in range(50 * 1024)),
        "index.html": b"<!doctype html><link rel=stylesheet href=/style.css><p>pushed</p>\n",
        "style.css": b"p { color: green }\n" * 20,
    }
    for name, data in files.items():
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
    return files


def entry(name, data, direction="response"):
    return {"name": name, "direction": direction, "sha256": sha(data), "length": len(data)}


def check(path, data):
    got = open(path, "rb").read()
    if got != data:
        raise SystemExit("%s: the client saved %d bytes that differ from the served file"
                         % (path, len(got)))


def record(name, body):
    pcap = os.path.join(HERE, name + ".pcap")
    with lab.Lab(prefix="http2r", loss=3) as L:
        docroot = os.path.join(L.tmp, "www")
        files = write_docroot(docroot)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        objects = body(L, docroot, files, dl, pcap)
        L.stop_all()
    print("%s: %d bytes, %d objects" % (name, os.path.getsize(pcap), len(objects)))
    return objects


def nghttpd(L, docroot, port, tls=True, extra=()):
    argv = ["nghttpd", "--htdocs=" + docroot, "-a", "0.0.0.0"] + list(extra) + [str(port)]
    if tls:
        argv += [KEY, CERT]
    else:
        argv.insert(1, "--no-tls")
    L.popen_ns(L.sns, argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    L.wait_listen(L.sns, port)


def peer_server(L, docroot, port, logpath):
    L.popen_ns(L.sns, [lab.PYTHON, PEER, "serve", str(port), docroot, logpath],
               stdout=subprocess.DEVNULL)
    L.wait_listen(L.sns, port)


def tls_capture(version, port):
    def body(L, docroot, files, dl, pcap):
        keylog = os.path.join(HERE, "tls%s.keylog" % version)
        if os.path.exists(keylog):
            os.remove(keylog)
        nghttpd(L, docroot, port)
        L.start_capture(pcap)
        env = dict(os.environ, SSLKEYLOGFILE=keylog)
        tls = ["--tlsv1.3"] if version == "13" else ["--tls-max", "1.2", "--ciphers",
                                                       "ECDHE-RSA-AES128-GCM-SHA256"]
        names = ["one.bin", "big.bin", "text.txt.gz"]
        argv = ["curl", "-sS", "-k", "--http2", "-Z"] + tls
        for n in names:
            argv += ["-o", os.path.join(dl, n), "https://%s:%d/%s" % (SERVER, port, n)]
        L.run_ns(L.cns, argv, env=env)
        L.stop_capture()
        for n in names:
            check(os.path.join(dl, n), files[n])
        return [entry(n, files[n]) for n in names]
    return body


def prior(L, docroot, files, dl, pcap):
    nghttpd(L, docroot, 20080, tls=False)
    L.start_capture(pcap)
    # curl 7.88.1 fails a second request on a reused prior-knowledge connection ("Error
    # in the HTTP2 framing layer", against nghttpd as against h2_peer.py, with or without
    # loss): one curl connection per file, then nghttp's three concurrent streams.
    names = ["one.bin", "text.txt"]
    for n in names:
        L.run_ns(L.cns, ["curl", "-sS", "--http2-prior-knowledge", "-o", os.path.join(dl, n),
                         "http://%s:20080/%s" % (SERVER, n)])
    # nghttp cannot save what it fetches (-O is "not implemented"): its statistics must
    # show each path answered 200; the bodies are the served files.
    out = L.run_ns(L.cns, ["nghttp", "-n", "-s"] + ["http://%s:20080/%s" % (SERVER, n)
                                                     for n in names],
                   capture_output=True, text=True).stdout
    L.stop_capture()
    for n in names:
        check(os.path.join(dl, n), files[n])
        if not any(("/" + n) in line and " 200 " in line for line in out.splitlines()):
            raise SystemExit("nghttp did not get %s:\n%s" % (n, out))
    return [entry(n, files[n]) for n in names] * 2


def h2c(L, docroot, files, dl, pcap):
    log = os.path.join(L.tmp, "peer.log")
    peer_server(L, docroot, 20081, log)
    L.start_capture(pcap)
    names = ["text.txt"]  # one request: see prior() on curl reusing connections
    argv = ["curl", "-sS", "--http2", "--compressed"]
    for n in names:
        argv += ["-o", os.path.join(dl, n), "http://%s:20081/%s" % (SERVER, n)]
    L.run_ns(L.cns, argv)
    L.stop_capture()
    for n in names:
        check(os.path.join(dl, n), files[n])
    return [entry(n, files[n]) for n in names]


def push(L, docroot, files, dl, pcap):
    nghttpd(L, docroot, 20082, tls=False, extra=["-p/index.html=/style.css"])
    L.start_capture(pcap)
    out = L.run_ns(L.cns, ["nghttp", "-n", "-s", "http://%s:20082/index.html" % SERVER],
                   capture_output=True, text=True).stdout
    L.stop_capture()
    if "/style.css" not in out:
        raise SystemExit("nghttp did not receive the push:\n" + out)
    return [entry("index.html", files["index.html"]), entry("style.css", files["style.css"])]


def post(L, docroot, files, dl, pcap):
    log = os.path.join(L.tmp, "peer.log")
    peer_server(L, docroot, 20083, log)
    L.start_capture(pcap)
    answer = L.run_ns(L.cns, ["curl", "-sS", "--http2-prior-knowledge", "--data-binary",
                              "@" + os.path.join(docroot, "upload.bin"), "-H",
                              "Content-Type: application/octet-stream",
                              "http://%s:20083/upload" % SERVER],
                      capture_output=True).stdout
    L.stop_capture()
    logged = [json.loads(l) for l in open(log)]
    up = files["upload.bin"]
    if logged[0]["sha256"] != sha(up) or answer.strip().decode() != sha(up):
        raise SystemExit("the server hashed the upload differently")
    return [entry("upload.bin", up, "request"), entry("answer", answer)]


def abort(L, docroot, files, dl, pcap):
    nghttpd(L, docroot, 20084, tls=False)
    log = os.path.join(L.tmp, "abort.log")
    L.start_capture(pcap)
    L.run_ns(L.cns, ["env", "H2_HOST=" + SERVER, lab.PYTHON, PEER, "abort", "20084",
                     "/big.bin", "30000", log])
    L.stop_capture()
    rec = json.loads(open(log).read())
    got = rec["received"]
    if files["big.bin"][:got] == b"" or sha(files["big.bin"][:got]) != rec["sha256"]:
        raise SystemExit("the aborted download is not a prefix of big.bin")
    # The object is a prefix of big.bin: at least what the client read before resetting.
    return [{"name": "big.bin", "direction": "response", "prefix_of": sha(files["big.bin"]),
             "min_length": got, "sha256_first_30000": sha(files["big.bin"][:30000]),
             "length": len(files["big.bin"])}]


def gap():
    """prior_gap.pcap: prior.pcap with one 1228-byte segment of nghttp's connection (inside
    text.txt's body) cut out, with its retransmissions: a hole the capture never fills."""
    from scapy.all import TCP, rdpcap  # Debian's python3-scapy
    src, dst = os.path.join(HERE, "prior.pcap"), os.path.join(HERE, "prior_gap.pcap")
    shutil.copyfile(src, dst)
    by_conn = {}
    for p in rdpcap(src):
        if TCP in p and p[TCP].sport == 20080 and bytes(p[TCP].payload):
            by_conn.setdefault(p[TCP].dport, []).append(bytes(p[TCP].payload))
    last = max(by_conn)  # nghttp's connection was the last one opened
    cut = by_conn[last][7]
    removed = lab._cut_packets(dst, [(20080, cut)])
    print("prior_gap: removed %d packet(s) of %d bytes" % (removed, len(cut)))
    objects = json.load(open(os.path.join(HERE, "objects.json")))["prior.pcap"]
    # nghttp's text.txt is not whole any more: only curl's copy of it is expected.
    return objects[:3] + [dict(objects[3], partial=True, missed_bytes=len(cut))]


def main():
    if os.geteuid() != 0:
        raise SystemExit("run as root (network namespaces)")
    wanted = sys.argv[1:] or ["tls13", "tls12", "prior", "h2c", "push", "post", "abort", "gap"]
    steps = {"tls13": tls_capture("13", 20443), "tls12": tls_capture("12", 20444),
             "prior": prior, "h2c": h2c, "push": push, "post": post, "abort": abort}
    path = os.path.join(HERE, "objects.json")
    objects = json.load(open(path)) if os.path.exists(path) else {}
    for name in wanted:
        if name == "gap":
            objects["prior_gap.pcap"] = gap()
        else:
            objects[name + ".pcap"] = record(name, steps[name])
        with open(path, "w") as f:
            json.dump(objects, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
