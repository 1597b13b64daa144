#!/usr/bin/python3
"""TLS decryption through the whole tool (capture -> TCP reassembly -> TLS -> HTTP/plaintext).

1. Every capture of corpus/tls (recorded here: RSA key exchange TLS 1.0-1.2 CBC/GCM with
   session-ID and ticket resumption; ECDHE TLS 1.2 GCM/CBC/ChaCha20 and TLS 1.3 all three
   suites with key logs): every TLS connection decrypted, client_plain/server_plain equal
   to the sha256 of what each peer sent (corpus/tls/manifest.json), resumption flagged.
2. Key handling: PKCS#8 DER, an encrypted PEM with --rsa-key-password, an IP:PORT-bound
   key, SSLKEYLOGFILE instead of --keylog; a wrong key and a missing key log give a
   reason in words; a wrong password and a missing key file stop with one line, exit 1.
   pcapng with two Decryption Secrets Blocks after the packets; a key log whose last line
   has no newline and whose line 2 cannot be parsed (one message naming line 2).
3. --write-decrypted: the synthetic pcap read back gives the plaintext as raw streams.
4. Public vectors through the tool: ssldump-samples (9 captures, one key log) all decrypt;
   fq-tls ciphers/ (73 single-suite TLS 1.2 captures): a suite-by-suite table; every suite
   except the export-grade ones and IDEA decrypts (the library's vectors_test checks the
   plaintext against fq's).
"""
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
from testlib import repo_root, vectors_dir  # noqa: E402

failures = 0


def check(cond, msg):
    global failures
    if not cond:
        failures += 1
        print("FAIL", msg)
    return cond


def run(tool, out, *args, env=None):
    return subprocess.run([tool, "-q", "-o", out, *args], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=120)


def records(out, log):
    path = os.path.join(out, log + ".jsonl")
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    tool = os.path.realpath(sys.argv[1])
    root = repo_root()
    tlsdir = os.path.join(root, "corpus", "tls")
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    with open(os.path.join(tlsdir, "manifest.json")) as f:
        manifest = json.load(f)

    # 1. Recorded captures.
    for n, e in enumerate(manifest):
        pcap = os.path.join(tlsdir, e["pcap"])
        keyargs = (["--keylog", os.path.join(tlsdir, e["keylog"])] if e["keylog"]
                   else ["--rsa-key", os.path.join(tlsdir, "server.key.pem")])
        out = os.path.join(work, "c%d" % n)
        r = run(tool, out, "-r", pcap, *keyargs)
        if not check(r.returncode == 0, "%s: exit %d %s" % (e["pcap"], r.returncode, r.stderr)):
            continue
        flows = sorted((f for f in records(out, "flows") if f.get("service") == "tls"),
                       key=lambda f: f["ts"])
        tls = sorted(records(out, "tls"), key=lambda t: t["ts"])
        check(len(flows) == len(e["connections"]) == len(tls),
              "%s: %d tls flows, %d tls records, %d connections recorded" % (
                  e["pcap"], len(flows), len(tls), len(e["connections"])))
        for i, (f, t) in enumerate(zip(flows, tls)):
            label = "%s connection %d" % (e["pcap"], i)
            check(f["decrypted"] and t["decrypted"], "%s: not decrypted: %s" % (label, t.get("reason")))
            if "client_plain" in f["files"] and "server_plain" in f["files"]:
                check(sha(os.path.join(out, f["files"]["client_plain"])) == e["client_sha256"],
                      "%s: client plaintext differs from what the client sent" % label)
                check(sha(os.path.join(out, f["files"]["server_plain"])) == e["server_sha256"],
                      "%s: server plaintext differs from what the server sent" % label)
            else:
                check(False, "%s: no plaintext files in %s" % (label, f["files"]))
            check(t["resumed"] == e["connections"][i]["resumed"],
                  "%s: resumed %s, recorded %s" % (label, t["resumed"], e["connections"][i]["resumed"]))
    print("ok   corpus/tls: %d captures checked" % len(manifest))

    # 2. Key forms and failures, on the RSA TLS 1.2 GCM capture.
    gcm = next(e for e in manifest if e["pcap"] == "rsa_tls12_gcm.pcap")
    pcap = os.path.join(tlsdir, gcm["pcap"])
    forms = {
        "pkcs8-der": ["--rsa-key", os.path.join(tlsdir, "server.key.pk8.der")],
        "encrypted-pem": ["--rsa-key", os.path.join(tlsdir, "server.key.enc.pem"),
                          "--rsa-key-password", "tcpfollow"],
        "bound-ip-port": ["--rsa-key", "127.0.0.1:%d:%s" % (gcm["port"], os.path.join(tlsdir, "server.key.pem"))],
    }
    for name, args in forms.items():
        out = os.path.join(work, "k-" + name)
        r = run(tool, out, "-r", pcap, *args)
        ok = r.returncode == 0 and all(t["decrypted"] for t in records(out, "tls"))
        check(ok, "key form %s: exit %d, tls %s" % (name, r.returncode,
                                                  records(out, "tls") if r.returncode == 0 else r.stderr))
    out = os.path.join(work, "k-wrong")
    r = run(tool, out, "-r", pcap, "--rsa-key", os.path.join(tlsdir, "other.key.pem"))
    t = records(out, "tls")
    check(r.returncode == 0 and len(t) == 1 and not t[0]["decrypted"] and "match" in t[0].get("reason", ""),
          "wrong RSA key: %s" % t)
    print("ok   wrong RSA key: reason %r" % (t[0].get("reason") if t else None))
    ecdhe = next(e for e in manifest if e["pcap"] == "ecdhe_tls12_gcm.pcap")
    out = os.path.join(work, "k-rsa-on-ecdhe")
    run(tool, out, "-r", os.path.join(tlsdir, ecdhe["pcap"]), "--rsa-key", os.path.join(tlsdir, "server.key.pem"))
    t = records(out, "tls")
    check(len(t) == 1 and not t[0]["decrypted"] and t[0].get("reason"), "RSA key on ECDHE: %s" % t)
    print("ok   RSA key on an ECDHE session: reason %r" % (t[0].get("reason") if t else None))
    out = os.path.join(work, "k-nokeylog")
    run(tool, out, "-r", os.path.join(tlsdir, ecdhe["pcap"]))
    t = records(out, "tls")
    check(len(t) == 1 and not t[0]["decrypted"] and t[0].get("reason"), "no key log: %s" % t)
    print("ok   no key material: reason %r" % (t[0].get("reason") if t else None))
    # pcapng Decryption Secrets Block (corpus/tls/make_dsb_capture.sh): no --keylog at all.
    out = os.path.join(work, "k-dsb")
    r = run(tool, out, "-r", os.path.join(tlsdir, "ecdhe_tls12_gcm_dsb.pcapng"))
    t = records(out, "tls")
    f = [x for x in records(out, "flows") if x.get("service") == "tls"]
    check(len(t) == 1 and t[0]["decrypted"] and len(f) == 1 and
          sha(os.path.join(out, f[0]["files"]["server_plain"])) == ecdhe["server_sha256"],
          "pcapng DSB secrets: %s" % t)
    print("ok   pcapng Decryption Secrets Block: decrypted without --keylog")
    # Two Decryption Secrets Blocks, each after its connection's packets (record_lab.py).
    out = os.path.join(work, "k-dsb2")
    r = run(tool, out, "-r", os.path.join(tlsdir, "two_dsb.pcapng"))
    t = records(out, "tls")
    check(r.returncode == 0 and len(t) == 2 and all(x["decrypted"] for x in t), "two DSBs: %s" % t)
    print("ok   two pcapng Decryption Secrets Blocks after the packets: both sessions decrypted")
    # A key log whose last line has no newline, with an unparsable line 2: decrypts, and one
    # message names the line (even with -q).
    out = os.path.join(work, "k-nonl")
    r = run(tool, out, "-r", os.path.join(tlsdir, "keylog_nonl.pcap"), "--keylog",
            os.path.join(tlsdir, "keylog_nonl.keylog"))
    t = records(out, "tls")
    warn = [l for l in r.stderr.splitlines() if "could not be parsed" in l]
    check(r.returncode == 0 and len(t) == 1 and t[0]["decrypted"] and len(warn) == 1 and
          "1 line could not be parsed" in warn[0] and warn[0].endswith("the first is line 2"),
          "key log without final newline: %s, stderr %r" % (t, r.stderr))
    print("ok   key log without a final newline: decrypted; %s" % (warn[0] if warn else ""))
    # PKCS#12 (corpus/tls/make_p12.sh), current and -legacy algorithms; IP:PORT bound to a
    # server that is not in the capture still decrypts by certificate (--help says so).
    for name, args in {
        "server.p12": ["--rsa-key", os.path.join(tlsdir, "server.p12"), "--rsa-key-password", "tcpfollow"],
        "server.legacy.pfx": ["--rsa-key", os.path.join(tlsdir, "server.legacy.pfx"),
                              "--rsa-key-password", "tcpfollow"],
        "unmatched IP:PORT": ["--rsa-key", "192.0.2.1:443:" + os.path.join(tlsdir, "server.key.pem")],
    }.items():
        out = os.path.join(work, "k-" + name)
        r = run(tool, out, "-r", pcap, *args)
        t = records(out, "tls") if r.returncode == 0 else []
        check(len(t) == 1 and t[0]["decrypted"], "%s: exit %d %s %s" % (name, r.returncode, r.stderr, t))
        print("ok   --rsa-key %s: decrypted" % name)
    # SSL 3.0 with the RSA key (make_ssl3.py: no peer here speaks it; tshark agrees).
    out = os.path.join(work, "k-ssl3")
    r = run(tool, out, "-r", os.path.join(tlsdir, "ssl3_rsa.pcap"), "--rsa-key",
            os.path.join(tlsdir, "server.key.pem"))
    t = records(out, "tls") if r.returncode == 0 else []
    with open(os.path.join(tlsdir, "ssl3_rsa.manifest.json")) as f:
        want = sorted(o["sha256"] for o in json.load(f)["objects"])
    got = sorted(x["sha256"] for x in records(out, "files")) if r.returncode == 0 else []
    check(len(t) == 3 and all(x["decrypted"] and x["version"] == "SSL 3.0" for x in t) and got == want,
          "SSL 3.0: %s, objects %s" % (t, got))
    print("ok   SSL 3.0 (AES-CBC, RC4-MD5, 3DES): 3 sessions decrypted, 3 HTTP objects as served")
    out = os.path.join(work, "k-env")
    env = dict(os.environ, SSLKEYLOGFILE=os.path.join(tlsdir, ecdhe["keylog"]))
    run(tool, out, "-r", os.path.join(tlsdir, ecdhe["pcap"]), env=env)
    t = records(out, "tls")
    check(len(t) == 1 and t[0]["decrypted"], "SSLKEYLOGFILE: %s" % t)
    for name, args in {
        "bad password": ["--rsa-key", os.path.join(tlsdir, "server.key.enc.pem"), "--rsa-key-password", "nope"],
        # OpenSSL would prompt on the terminal without a password callback.
        "encrypted key, no password": ["--rsa-key", os.path.join(tlsdir, "server.key.enc.pem")],
        "missing key file": ["--rsa-key", os.path.join(work, "absent.pem")],
        "PKCS#12, wrong password": ["--rsa-key", os.path.join(tlsdir, "server.p12"), "--rsa-key-password", "nope"],
        "PKCS#12, no password": ["--rsa-key", os.path.join(tlsdir, "server.p12")],
        "not a key": ["--rsa-key", os.path.join(tlsdir, "server.crt.pem")],
        "bad --psk": ["--psk", "id:xyz"],
        "missing key log": ["--keylog", os.path.join(work, "absent.keylog")],
    }.items():
        r = run(tool, os.path.join(work, "x"), "-r", pcap, *args)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 1 and len(lines) == 1 and lines[0].startswith("tcpfollow: "),
              "%s: exit %d, stderr %r" % (name, r.returncode, r.stderr))
        want = {"PKCS#12, wrong password": "the password is wrong",
                "PKCS#12, no password": "needs a password",
                "not a key": "not an RSA private key in a form",
                "bad --psk": "want [IDENTITY:]HEX"}.get(name)
        check(not want or (lines and want in lines[0]), "%s: %r lacks %r" % (name, lines, want))
        print("ok   %s: %s" % (name, lines[0] if lines else ""))

    # 3. --write-decrypted read back.
    out = os.path.join(work, "wd")
    dec = os.path.join(work, "decrypted.pcap")
    run(tool, out, "-r", os.path.join(tlsdir, ecdhe["pcap"]), "--keylog",
        os.path.join(tlsdir, ecdhe["keylog"]), "--write-decrypted", dec)
    out2 = os.path.join(work, "wd-back")
    run(tool, out2, "-r", dec)
    f = [x for x in records(out2, "flows") if x["files"]]
    check(len(f) == 1 and sha(os.path.join(out2, f[0]["files"]["client"])) == ecdhe["client_sha256"]
          and sha(os.path.join(out2, f[0]["files"]["server"])) == ecdhe["server_sha256"],
          "--write-decrypted read back: %s" % f)
    print("ok   --write-decrypted: plaintext read back as streams")

    # 4. Public vectors.
    vec = vectors_dir()
    if vec is None:
        print("SKIPPED vectors: ../shared/vectors not found")
    else:
        sd = os.path.join(vec, "ssldump-samples")
        total = dec_ok = 0
        for p in sorted(glob.glob(os.path.join(sd, "*.pcap"))):
            out = os.path.join(work, "sd-" + os.path.basename(p))
            r = run(tool, out, "-r", p, "--keylog", os.path.join(sd, "log.txt"))
            t = records(out, "tls")
            total += len(t)
            dec_ok += sum(1 for x in t if x["decrypted"])
            check(r.returncode == 0 and t and all(x["decrypted"] for x in t),
                  "ssldump %s: %s" % (os.path.basename(p), [(x.get("cipher"), x.get("reason")) for x in t]))
        print("ok   ssldump-samples: %d of %d TLS sessions decrypted" % (dec_ok, total))
        fq = os.path.join(vec, "fq-tls", "ciphers")
        not_expected = lambda s: "EXPORT" in s or "IDEA" in s
        rows, n_ok, n_expected = [], 0, 0
        for p in sorted(glob.glob(os.path.join(fq, "*.pcap"))):
            suite = os.path.basename(p)[:-5]
            out = os.path.join(work, "fq-" + suite)
            run(tool, out, "-r", p, "--keylog", os.path.join(fq, "all.keylog"))
            t = records(out, "tls")
            ok = len(t) == 1 and t[0]["decrypted"]
            flows = [x for x in records(out, "flows") if x.get("service") == "tls"]
            plain = flows[0]["files"].get("client_plain") if flows else None
            req = open(os.path.join(out, plain), "rb").read(20) if plain else b""
            rows.append("%-50s %-4s %s" % (suite, "yes" if ok else "no",
                                           t[0].get("reason", "") if t and not ok else req[:16]))
            if not_expected(suite):
                check(not ok and t and t[0].get("reason"), "fq %s: expected a reason, got %s" % (suite, t))
            else:
                n_expected += 1
                n_ok += ok
                check(ok and req.startswith(b"GET / HTTP/1.0"), "fq %s: %s" % (suite, t))
        print("fq-tls suite table (suite, decrypted, reason or first plaintext bytes):")
        for row in rows:
            print("    " + row)
        print("ok   fq-tls: %d of %d suites decrypted (%d expected)" % (n_ok, len(rows), n_expected))
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
