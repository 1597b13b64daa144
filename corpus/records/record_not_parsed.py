#!/usr/bin/python3
"""Records records/not_parsed.pcap: TLS sessions that decrypt but carry no protocol we parse.

records_peers.py's TLS server and client (Python's ssl over MemoryBIO on plain sockets,
so sockrec.py counts the TLS records; TLS 1.3, the client writes not_parsed.keylog):
  24443  ALPN spdy/3, twice: binary SPDY-like frames each way
  24993  no ALPN: an IMAP greeting and a CAPABILITY command (IMAP over TLS, as on 993)
  24444  ALPN http/1.1 carrying an ordinary HTTP request: parsed (the control)
With not_parsed.keylog every session decrypts; tcpfollow's summary then says
"3 sessions decrypted but not parsed: ALPN spdy/3 (2), no protocol detected in the
plaintext (1)" and stats.json sessions.decrypted_not_parsed counts them.
"""
import os
import sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
import lab  # noqa: E402

NAME = "not_parsed"
PEERS = os.path.join(HERE, "records_peers.py")
KEY = os.path.join(HERE, "..", "https", "server.key.pem")
CERT = os.path.join(HERE, "..", "https", "server.crt.pem")

SPDY_SYN = bytes.fromhex("80030001010000280000000100000000") + b"\x00" * 24
IMAP_GREETING = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] records IMAP ready\r\n"
IMAP_CMD = b"a1 CAPABILITY\r\n"
HTTP_REQ = b"GET /tls HTTP/1.1\r\nHost: tls.records.test\r\n\r\n"


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    keylog = os.path.join(HERE, NAME + ".keylog")
    if os.path.exists(keylog):
        os.remove(keylog)
    with lab.Lab(prefix="records", loss=0) as L:
        log = os.path.join(L.tmp, "tls.jsonl")
        os.chmod(L.tmp, 0o755)
        servers = ["24443:spdy/3:" + bytes.fromhex("8003000200000004000000").hex(),
                   "24993:-:" + IMAP_GREETING.hex(),
                   "24444:http/1.1:"]
        L.python(L.sns, "server", [PEERS, "tls-server", KEY, CERT, log] + servers,
                 background=True)
        for port in (24443, 24993, 24444):
            L.wait_listen(L.sns, port)
        L.start_capture(pcap)
        L.python(L.cns, "client", [PEERS, "tls-client", lab.SERVER4, keylog,
                                   "24443:spdy/3:" + SPDY_SYN.hex(),
                                   "24443:spdy/3:" + SPDY_SYN[::-1].hex(),
                                   "24993:-:" + IMAP_CMD.hex(),
                                   "24444:http/1.1:" + HTTP_REQ.hex()])
        L.stop_capture()
        L.stop_all()
        alpns = [r.get("alpn") for r in lab.read_objects(log)]
        if sorted(map(str, alpns)) != sorted(map(str, ["spdy/3", "spdy/3", None, "http/1.1"])):
            raise SystemExit("unexpected ALPNs %s" % alpns)
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0])
    with open(os.path.join(HERE, NAME + ".args"), "w") as f:
        f.write("--keylog\ncorpus/records/%s.keylog\n" % NAME)


if __name__ == "__main__":
    main()
