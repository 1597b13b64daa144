#!/usr/bin/env python3
"""Records the TLS test captures in this folder with real peers over loopback.

Python's ssl module (OpenSSL) on both ends, tcpdump -i lo capturing. Each connection's
client sends CLIENT_DATA, the server answers SERVER_DATA (sizes chosen so that records span
several TCP segments and segments carry several records). manifest.json lists, per capture,
the cipher suite, version, whether each connection resumed, the key log (if any) and the
sha256 of what each side sent, which tests compare with the decrypted plaintext.

Run as root from this folder:  python3 record.py
Writes: server.key.pem (PKCS#1 PEM), server.key.pk8.der (PKCS#8 DER),
server.key.enc.pem (encrypted PKCS#8, password "tcpfollow"), other.key.pem, server.crt.pem,
*.pcap, *.keylog, manifest.json.
"""
import hashlib
import json
import os
import socket
import ssl
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DATA = b"".join(b"client line %05d: the quick brown fox\n" % i for i in range(120))
SERVER_DATA = b"".join(b"server line %05d: jumps over the lazy dog\n" % i for i in range(900))


def sh(*args):
    subprocess.run(args, check=True, cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_keys():
    if os.path.exists(os.path.join(HERE, "server.crt.pem")):
        return
    sh("openssl", "genrsa", "-traditional", "-out", "server.key.pem", "2048")
    sh("openssl", "genrsa", "-traditional", "-out", "other.key.pem", "2048")
    sh("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "server.key.pem", "-outform", "DER",
       "-out", "server.key.pk8.der")
    sh("openssl", "pkcs8", "-topk8", "-in", "server.key.pem", "-passout", "pass:tcpfollow",
       "-out", "server.key.enc.pem")
    sh("openssl", "req", "-new", "-x509", "-key", "server.key.pem", "-days", "3650",
       "-subj", "/CN=tcpfollow.test/O=tcpfollow", "-out", "server.crt.pem")


def context(server, version, ciphers, keylog=None, tickets=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    if server:
        ctx.load_cert_chain(os.path.join(HERE, "server.crt.pem"), os.path.join(HERE, "server.key.pem"))
        if not tickets:
            ctx.options |= ssl.OP_NO_TICKET
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if keylog:
            ctx.keylog_filename = keylog
    ctx.minimum_version = version
    ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
    return ctx


def run_capture(name, port, version, ciphers, connections=1, keylog=False, tickets=True):
    pcap = os.path.join(HERE, name + ".pcap")
    keylog_path = os.path.join(HERE, name + ".keylog") if keylog else None
    if keylog_path and os.path.exists(keylog_path):
        os.remove(keylog_path)
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", pcap,
                             "tcp port %d" % port], stderr=subprocess.DEVNULL)
    # TLS 1.3 suites cannot be chosen from Python: see tls13_in_subprocess().
    time.sleep(1.0)
    sctx = context(True, version, ciphers, tickets=tickets)
    cctx = context(False, version, ciphers, keylog=keylog_path)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4)
    results = []

    def serve():
        for _ in range(connections):
            raw, _ = listener.accept()
            with sctx.wrap_socket(raw, server_side=True) as s:
                got = b""
                while len(got) < len(CLIENT_DATA):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
                s.sendall(SERVER_DATA)
                try:
                    s.unwrap()
                except (ssl.SSLError, OSError):
                    pass
            results.append(got == CLIENT_DATA)

    t = threading.Thread(target=serve)
    t.start()
    session = None
    conns = []
    for _ in range(connections):
        raw = socket.create_connection(("127.0.0.1", port))
        s = cctx.wrap_socket(raw, server_hostname="tcpfollow.test", session=session)
        s.sendall(CLIENT_DATA)
        got = b""
        while len(got) < len(SERVER_DATA):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        conns.append({"resumed": s.session_reused, "cipher": s.cipher()[0],
                      "version": s.version(), "server_ok": got == SERVER_DATA})
        session = s.session
        try:
            s.unwrap()
        except (ssl.SSLError, OSError):
            pass
        s.close()
        time.sleep(0.2)
    t.join()
    listener.close()
    time.sleep(1.0)
    dump.terminate()
    dump.wait()
    assert all(results) and all(c["server_ok"] for c in conns), name
    return {"pcap": name + ".pcap", "keylog": os.path.basename(keylog_path) if keylog_path else None,
            "port": port, "connections": conns,
            "client_sha256": hashlib.sha256(CLIENT_DATA).hexdigest(),
            "server_sha256": hashlib.sha256(SERVER_DATA).hexdigest(),
            "client_size": len(CLIENT_DATA), "server_size": len(SERVER_DATA)}


def tls13_in_subprocess(name, port, suite):
    """Python cannot set TLS 1.3 suites; OpenSSL's system_default config section can."""
    conf = os.path.join(HERE, ".tls13.cnf")
    with open(conf, "w") as f:
        f.write("openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n"
                "[d]\nCiphersuites = %s\n" % suite)
    env = dict(os.environ, OPENSSL_CONF=conf)
    out = subprocess.run(["python3", __file__, "--tls13", name, str(port)], env=env,
                         check=True, stdout=subprocess.PIPE).stdout
    os.remove(conf)
    return json.loads(out)


def main():
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "--tls13":
        print(json.dumps(run_capture(sys.argv[2], int(sys.argv[3]), ssl.TLSVersion.TLSv1_3,
                                     None, connections=2, keylog=True)))
        return
    make_keys()
    V = ssl.TLSVersion
    manifest = []
    manifest.append(run_capture("rsa_tls10_cbc", 14431, V.TLSv1, "AES128-SHA"))
    manifest.append(run_capture("rsa_tls11_cbc", 14432, V.TLSv1_1, "AES256-SHA"))
    manifest.append(run_capture("rsa_tls12_cbc", 14433, V.TLSv1_2, "AES128-SHA256"))
    manifest.append(run_capture("rsa_tls12_gcm", 14434, V.TLSv1_2, "AES256-GCM-SHA384"))
    manifest.append(run_capture("rsa_tls12_resume_id", 14435, V.TLSv1_2, "AES128-GCM-SHA256",
                                connections=2, tickets=False))
    manifest.append(run_capture("rsa_tls12_resume_ticket", 14436, V.TLSv1_2, "AES128-SHA",
                                connections=2, tickets=True))
    manifest.append(run_capture("ecdhe_tls12_gcm", 14437, V.TLSv1_2, "ECDHE-RSA-AES128-GCM-SHA256", keylog=True))
    manifest.append(run_capture("ecdhe_tls12_cbc", 14438, V.TLSv1_2, "ECDHE-RSA-AES256-SHA384", keylog=True))
    manifest.append(run_capture("ecdhe_tls12_chacha", 14439, V.TLSv1_2, "ECDHE-RSA-CHACHA20-POLY1305", keylog=True))
    for i, suite in enumerate(["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                               "TLS_CHACHA20_POLY1305_SHA256"]):
        manifest.append(tls13_in_subprocess("tls13_" + suite.lower()[4:], 14440 + i, suite))
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
