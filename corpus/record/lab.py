#!/usr/bin/python3
"""Recording lab: four network namespaces, two lossy bridges, tcpdump between them, manifests.

Lab() builds   client ns --veth-- r1 ns (bridge) --veth-- r2 ns (bridge) --veth-- server ns
with 198.18.0.1/24 + 2001:db8::1/64 on the client and .2 / ::2 on the server (one
LAN, no default route: nothing can leave it), MTU 1280 and every offload off on
every veth (segments on the wire are real-sized and carry real checksums).
tcpdump runs in r1 on its port toward r2 (the tap). With loss=N, nftables in each
bridge's forward hook drops N% of TCP frames at random, so every packet crosses
two lossy hops, one on each side of the tap:
  r1 drops client->server frames before the tap and r2 drops server->client frames
    before the tap: the capture has holes, filled later by retransmissions;
  r1 drops server->client frames after the tap and r2 drops client->server frames
    after the tap: the capture holds the frame and later its retransmission.
Drops happen in other namespaces than the endpoints', so TCP sees real loss (a drop
in the sender's own output hook is reported to TCP, which just resends in order:
that gives no holes). Endpoints are Python programs started through sockrec.py,
which records the sha256 and length of every byte stream as the endpoints
themselves sent and received it; build_manifest() merges those records into the
capture's manifest (JSON) and fails if the two ends of a connection disagree.
Not a library: recording scripts only.
"""
import glob
import hashlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"  # Debian's: has aiosmtpd and pyftpdlib
SOCKREC = os.path.join(HERE, "sockrec.py")
TCP_ENDPOINTS = os.path.join(HERE, "tcp_endpoints.py")
HTTP_SERVER = os.path.join(HERE, "http_server.py")

CLIENT4, SERVER4 = "198.18.0.1", "198.18.0.2"
CLIENT6, SERVER6 = "2001:db8::1", "2001:db8::2"


def sh(argv, check=True, **kw):
    return subprocess.run(argv, check=check, **kw)


class Lab:
    def __init__(self, prefix="tfr", loss=0, mtu=1280, mss=None):
        self.prefix = prefix
        self.cns, self.sns = prefix + "-c", prefix + "-s"
        self.r1ns, self.r2ns = prefix + "-r1", prefix + "-r2"
        self.cif, self.sif = prefix + "-c0", prefix + "-s0"
        self.tap = prefix + "-r1b"  # r1's port toward r2
        self.loss, self.mtu, self.mss = loss, mtu, mss
        self.procs = []
        self.tcpdump = None
        self.tmp = tempfile.mkdtemp(prefix="tfrec-")

    # ---- namespaces -------------------------------------------------------
    def __enter__(self):
        self.teardown_namespaces()
        try:
            self._setup()
        except BaseException:
            self.teardown_namespaces()
            raise
        return self

    def __exit__(self, *exc):
        self.stop_all()
        if self.tcpdump is not None:
            self.tcpdump.kill()
        self.teardown_namespaces()

    def _namespaces(self):
        return (self.cns, self.r1ns, self.r2ns, self.sns)

    def _setup(self):
        p = self.prefix
        for ns in self._namespaces():
            sh(["ip", "netns", "add", ns])
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        links = [(self.cns, self.cif, self.r1ns, p + "-r1a"),
                 (self.r1ns, p + "-r1b", self.r2ns, p + "-r2a"),
                 (self.r2ns, p + "-r2b", self.sns, self.sif)]
        for ns_a, if_a, ns_b, if_b in links:
            sh(["ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
                "netns", ns_b])
            for ns, ifc in ((ns_a, if_a), (ns_b, if_b)):
                sh(["ip", "-n", ns, "link", "set", ifc, "mtu", str(self.mtu)])
                sh(["ip", "netns", "exec", ns, "ethtool", "-K", ifc, "tx", "off", "rx", "off",
                    "sg", "off", "tso", "off", "gso", "off", "gro", "off"],
                   stdout=subprocess.DEVNULL)
        for ns, r in ((self.r1ns, "r1"), (self.r2ns, "r2")):
            sh(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
            sh(["ip", "-n", ns, "link", "add", "br0", "type", "bridge", "stp_state", "0"])
            for port in ("a", "b"):
                sh(["ip", "-n", ns, "link", "set", "%s-%s%s" % (p, r, port), "master", "br0"])
                sh(["ip", "-n", ns, "link", "set", "%s-%s%s" % (p, r, port), "up"])
            sh(["ip", "-n", ns, "link", "set", "br0", "up"])
            if self.loss:
                rules = ["table bridge tfloss {", " chain forward {",
                         "  type filter hook forward priority 0;"]
                for port, toward in (("a", "server"), ("b", "client")):
                    rules.append('  iifname "%s-%s%s" meta l4proto tcp numgen random mod 100 < %d '
                                 'counter drop comment "toward %s"' % (p, r, port, self.loss, toward))
                rules += [" }", "}", ""]
                sh(["ip", "netns", "exec", ns, "nft", "-f", "-"], input="\n".join(rules).encode())
        for ns, ifc, a4, a6 in [(self.cns, self.cif, CLIENT4, CLIENT6),
                                (self.sns, self.sif, SERVER4, SERVER6)]:
            ip = ["ip", "-n", ns]
            sh(ip + ["addr", "add", a4 + "/24", "dev", ifc])
            sh(ip + ["addr", "add", a6 + "/64", "dev", ifc, "nodad"])
            sh(ip + ["link", "set", ifc, "up"])
            if self.mss:
                # Routes of the connected subnets advertise a smaller MSS: more segments per byte.
                sh(ip + ["route", "change", "198.18.0.0/24", "dev", ifc, "proto", "kernel",
                         "scope", "link", "src", a4, "advmss", str(self.mss)])
                sh(ip + ["-6", "route", "change", "2001:db8::/64", "dev", ifc, "proto", "kernel",
                         "metric", "256", "advmss", str(self.mss)])
        time.sleep(0.5)  # links up; ARP/ND is left to the first packets of each capture

    def teardown_namespaces(self):
        for ns in self._namespaces():
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)

    # ---- processes --------------------------------------------------------
    def ns_argv(self, ns, argv):
        return ["ip", "netns", "exec", ns] + list(argv)

    def run_ns(self, ns, argv, check=True, **kw):
        return sh(self.ns_argv(ns, argv), check=check, **kw)

    def popen_ns(self, ns, argv, **kw):
        p = subprocess.Popen(self.ns_argv(ns, argv), **kw)
        self.procs.append(p)
        return p

    def rec_path(self, name):
        return os.path.join(self.tmp, name + ".rec.jsonl")

    def python(self, ns, rec_name, script_and_args, background=False, **kw):
        """Runs `python3 sockrec.py REC -- script args` in ns; returns Popen or CompletedProcess."""
        argv = [PYTHON, SOCKREC, self.rec_path(rec_name), "--"] + list(script_and_args)
        if background:
            return self.popen_ns(ns, argv, **kw)
        return self.run_ns(ns, argv, **kw)

    def wait_listen(self, ns, port, timeout=10):
        """Waits until something in ns listens on TCP port."""
        end = time.time() + timeout
        while time.time() < end:
            out = self.run_ns(ns, ["ss", "-Hltn", "sport = :%d" % port],
                              capture_output=True, text=True).stdout
            if out.strip():
                return
            time.sleep(0.05)
        raise RuntimeError("nothing listens on %s port %d" % (ns, port))

    def stop(self, proc, sig=signal.SIGTERM, timeout=10):
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self):
        for p in self.procs:
            self.stop(p)

    # ---- capture ----------------------------------------------------------
    def start_capture(self, pcap, snaplen=0, buffer_kib=8192):
        os.makedirs(os.path.dirname(os.path.abspath(pcap)), exist_ok=True)
        self.capture_err = os.path.join(self.tmp, "tcpdump.err")
        self.tcpdump = subprocess.Popen(
            self.ns_argv(self.r1ns, ["tcpdump", "-i", self.tap, "-s", str(snaplen), "-B",
                                    str(buffer_kib), "-U", "-n", "-w", pcap, "tcp"]),
            stderr=open(self.capture_err, "w"))
        for _ in range(100):
            if "listening on" in open(self.capture_err).read():
                break
            time.sleep(0.05)
        time.sleep(0.2)

    def stop_capture(self, settle=1.0):
        """Stops tcpdump after `settle` seconds; fails if the kernel dropped packets."""
        time.sleep(settle)
        self.tcpdump.send_signal(signal.SIGINT)
        self.tcpdump.wait(30)
        self.tcpdump = None
        err = open(self.capture_err).read()
        for line in err.splitlines():
            if "dropped by kernel" in line and not line.startswith("0 "):
                raise RuntimeError("tcpdump lost packets: " + line)
        return err

    def loss_counters(self):
        """What the bridges dropped, per direction and side of the tap; what TCP resent."""
        out = {}
        if self.loss:
            for ns, r in ((self.r1ns, "r1"), (self.r2ns, "r2")):
                rs = json.loads(self.run_ns(ns, ["nft", "-j", "list", "ruleset"],
                                            capture_output=True, text=True).stdout)
                for item in rs["nftables"]:
                    rule = item.get("rule")
                    if rule:
                        n = [e["counter"]["packets"] for e in rule["expr"] if "counter" in e][0]
                        out["%s_dropped_%s" % (r, rule["comment"].replace(" ", "_"))] = n
            out["c2s_dropped_before_tap"] = out["r1_dropped_toward_server"]
            out["s2c_dropped_before_tap"] = out["r2_dropped_toward_client"]
            out["c2s_dropped_after_tap"] = out["r2_dropped_toward_server"]
            out["s2c_dropped_after_tap"] = out["r1_dropped_toward_client"]
        for side, ns in (("client", self.cns), ("server", self.sns)):
            nstat = self.run_ns(ns, ["nstat", "-az", "TcpRetransSegs"], capture_output=True,
                                text=True).stdout.split()
            out["%s_retransmitted_segments" % side] = int(nstat[nstat.index("TcpRetransSegs") + 1])
        return out

    # ---- manifest ---------------------------------------------------------
    def records(self):
        out = []
        for path in sorted(glob.glob(os.path.join(self.tmp, "*.rec.jsonl"))):
            with open(path) as f:
                out.extend(json.loads(line) for line in f if line.strip())
        return out


def norm_ip(s):
    s = s.split("%")[0]
    ip = ipaddress.ip_address(s)
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def _as_conn(rec):
    """Endpoint record -> (key, start, c2s, s2c, side)."""
    local = (norm_ip(rec["local"][0]), rec["local"][1])
    peer = (norm_ip(rec["peer"][0]), rec["peer"][1])
    if rec["role"] == "connect":
        return local + peer, rec["start"], rec["sent"], rec["received"], "orig", rec
    return peer + local, rec["start"], rec["received"], rec["sent"], "resp", rec


def build_manifest(records, capture, description, settings, objects=(), notes=None):
    """Merges endpoint records by 4-tuple (and order, for reused 4-tuples)."""
    by_key = {}
    for rec in records:
        if rec["local"] is None:
            continue
        k = _as_conn(rec)
        lab_hosts = (CLIENT4, CLIENT6, SERVER4, SERVER6)
        if k[0][0] not in lab_hosts or k[0][2] not in lab_hosts:
            continue  # e.g. a server's own readiness probe over loopback: not on the wire
        by_key.setdefault(k[0], {"orig": [], "resp": []})[k[4]].append(k)
    conns, problems = [], []
    for key, sides in by_key.items():
        cl = sorted(sides["orig"], key=lambda c: c[1])
        sv = sorted(sides["resp"], key=lambda c: c[1])
        for i in range(max(len(cl), len(sv))):
            c = cl[i] if i < len(cl) else None
            s = sv[i] if i < len(sv) else None
            first = c or s
            entry = {
                "orig_h": key[0], "orig_p": key[1], "resp_h": key[2], "resp_p": key[3],
                "start": min(x[1] for x in (c, s) if x),
                "client_to_server": _stream(first[2]),
                "server_to_client": _stream(first[3]),
                "recorded_by": [x[4] for x in (c, s) if x],
            }
            if c and s:
                # The receiver's account must equal the sender's.
                for d, a, b in (("client_to_server", c[2], s[2]), ("server_to_client", c[3], s[3])):
                    if _stream(a) != _stream(b):
                        problems.append("%s %s: originator says %s, responder says %s" % (key, d, a, b))
            conns.append(entry)
    conns.sort(key=lambda e: e["start"])
    for i, e in enumerate(conns):
        e["index"] = i
    m = {
        "capture": capture,
        "description": description,
        "recorded_with": settings,
        "connections": conns,
        "objects": list(objects),
    }
    if notes:
        m["notes"] = notes
    return m, problems


def _stream(s):
    return {"sha256": s["sha256"], "length": s["length"]}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def obj(source, data, **fields):
    d = {"source": source, "sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}
    d.update(fields)
    return d


def read_objects(path):
    """Objects logged by a server (JSON lines), in the order it handled them."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def check_downloads(objs, files, skip_head=True):
    """The files a client saved must be, in order, the bodies the server logged."""
    bodies = [o for o in objs if o.get("direction") == "response" and
              not (skip_head and o.get("method") == "HEAD")]
    if len(bodies) != len(files):
        raise SystemExit("server logged %d bodies, client saved %d" % (len(bodies), len(files)))
    for o, path in zip(bodies, files):
        if sha256_file(path) != o["sha256"]:
            raise SystemExit("client's %s differs from server's %s" % (path, o["url"]))


def capture_stats(pcap):
    """Counts of what the loss produced, as tshark's TCP analysis sees it."""
    names = ["retransmissions", "fast_retransmissions", "spurious_retransmissions",
             "out_of_order", "lost_segment_holes", "duplicate_acks", "rst"]
    res = sh(["tshark", "-r", pcap, "-T", "fields",
              "-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.fast_retransmission",
              "-e", "tcp.analysis.spurious_retransmission", "-e", "tcp.analysis.out_of_order",
              "-e", "tcp.analysis.lost_segment", "-e", "tcp.analysis.duplicate_ack",
              "-e", "tcp.flags.reset", "-E", "occurrence=f"],
             capture_output=True, text=True)
    counts = {"packets": 0}
    counts.update(dict.fromkeys(names, 0))
    for line in res.stdout.splitlines():
        cols = line.split("\t") + [""] * len(names)
        counts["packets"] += 1
        for name, v in zip(names, cols):
            if name == "rst":
                counts[name] += v in ("1", "True")
            elif v:
                counts[name] += 1
    counts.update(segment_layout(pcap))
    counts["bytes"] = os.path.getsize(pcap)
    return counts


def segment_layout(pcap):
    """Per direction, in capture order: segments that start past every byte seen so far
    (holes: their predecessor was lost before the tap), segments that fill a hole late,
    and segments whose bytes were all seen already (duplicates)."""
    res = sh(["tshark", "-r", pcap, "-o", "tcp.relative_sequence_numbers:TRUE", "-T", "fields",
              "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.len"],
             capture_output=True, text=True)
    seen = {}  # (stream, srcport) -> list of [start, end) ranges seen (merged)
    out = {"segments_after_hole": 0, "segments_filling_hole": 0, "duplicate_segments": 0}
    for line in res.stdout.splitlines():
        c = line.split("\t")
        if len(c) < 4 or not c[3] or int(c[3]) == 0:
            continue
        key, a = (c[0], c[1]), int(c[2])
        b = a + int(c[3])
        ranges = seen.setdefault(key, [])
        top = max((r[1] for r in ranges), default=1)
        covered = sum(max(0, min(b, r[1]) - max(a, r[0])) for r in ranges)
        if covered >= b - a:
            out["duplicate_segments"] += 1
        elif a > top:
            out["segments_after_hole"] += 1
        elif a < top and b <= top:
            out["segments_filling_hole"] += 1
        ranges.append([a, b])
        ranges.sort()
        merged = []
        for r in ranges:
            if merged and r[0] <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], r[1])
            else:
                merged.append(r)
        seen[key] = merged
    return out


def tcpflow_cross_check(pcap, manifest_path):
    """'ok' when tcpflow's reassembly of the capture matches the endpoints' manifest."""
    out = tempfile.mkdtemp(prefix="tfcheck-")
    sh([PYTHON, os.path.join(HERE, "tcpflow_as_flows.py"), pcap, out])
    res = sh([PYTHON, os.path.join(CORPUS, "check_streams.py"), manifest_path, out,
              "--streams-only"], check=False, capture_output=True, text=True)
    sh(["rm", "-rf", out])
    if res.returncode != 0:
        print("tcpflow disagrees with the manifest (informative only):\n" + res.stdout)
        return "mismatch: %d problems" % res.stdout.count("MISMATCH")
    return "ok"


def write_manifest(manifest, path):
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=False)
        f.write("\n")


def finish(lab, pcap, manifest_path, description, objects=(), notes=None, allow=None):
    """Builds + writes the manifest, cross-checks it against the capture with tcpflow."""
    settings = {"loss_percent_each_bridge": lab.loss, "mtu": lab.mtu, "advmss": lab.mss,
                "tap": "between two lossy bridges (r1 port toward r2)"}
    m, problems = build_manifest(lab.records(), os.path.basename(pcap), description,
                                 settings, objects, notes)
    if problems:
        raise SystemExit("endpoints disagree:\n  " + "\n  ".join(problems))
    m["capture_stats"] = capture_stats(pcap)
    m["capture_stats"]["loss"] = lab.loss_counters()
    write_manifest(m, manifest_path)
    m["tcpflow_cross_check"] = tcpflow_cross_check(pcap, manifest_path)
    write_manifest(m, manifest_path)
    print("%s: %d connections, %d objects, %s" % (os.path.basename(pcap), len(m["connections"]),
                                                 len(m["objects"]), m["capture_stats"]))
    return m


SCRIPTED_PEERS = os.path.join(HERE, "scripted_peers.py")


def _rewrite_segments(pcap, targets, change):
    """Rewrites `pcap` in place, calling `change(tcp)` on every TCP segment whose payload is
    exactly one of `targets` ((port, payload) pairs, port being the server's): the segment
    is dropped when it returns False. Returns how many segments matched."""
    from scapy.all import PcapReader, PcapWriter, TCP  # Debian's python3-scapy
    want = {(p, bytes(b)) for p, b in targets}
    out, matched = [], 0
    with PcapReader(pcap) as r:
        linktype = r.linktype
        for pkt in r:
            if TCP in pkt:
                t = pkt[TCP]
                payload = bytes(t.payload)
                if payload and ((t.dport, payload) in want or (t.sport, payload) in want):
                    matched += 1
                    if not change(t):
                        continue
            out.append(pkt)
    w = PcapWriter(pcap, linktype=linktype, sync=True)
    for pkt in out:
        w.write(pkt)
    w.close()
    return matched


def _cut_packets(pcap, cuts):
    """Removes from `pcap` every TCP segment whose payload is exactly one of `cuts`
    ((port, payload) pairs, port being the server's): the capture then has a hole there,
    as if the tap had missed it. Returns how many packets were removed."""
    return _rewrite_segments(pcap, cuts, lambda t: False)


def _corrupt_checksums(pcap, targets):
    """Adds 1 to the TCP checksum of every segment whose payload is exactly one of
    `targets` ((port, payload) pairs): what a capture taken on a host that offloads
    checksums shows. Returns how many packets were changed."""
    def bump(t):
        t.chksum = (t.chksum + 1) & 0xffff
        return True
    return _rewrite_segments(pcap, targets, bump)


def captured_streams(conv, lost_steps):
    """What a capture holds of one scripted conversation when `lost_steps` are missing."""
    captured = {}
    for d, who in (("client_to_server", "c"), ("server_to_client", "s")):
        held, missed = b"", 0
        for si, (w, h) in enumerate(conv["steps"]):
            if w != who:
                continue
            if si in lost_steps:
                missed += len(bytes.fromhex(h))
            else:
                held += bytes.fromhex(h)
        captured[d] = {"sha256": sha256_bytes(held), "length": len(held), "missed": missed}
    return captured


def record_script(here, name, description, script, objects=(), loss=0, cuts=(), v6=False,
                  notes=None, prefix="zeek", corrupt=()):
    """Records <here>/<name>.pcap: scripted_peers.py plays `script` (see its doc) between
    the lab's client and server. `cuts`: (conversation index, step index) pairs whose
    segment is removed from the capture afterwards (a capture gap on a line boundary);
    the manifest then says, per connection, what the capture holds ("captured") besides
    what the endpoints sent. `prefix` names the lab's namespaces."""
    pcap = os.path.join(here, name + ".pcap")
    ports = sorted({c["port"] for c in script})
    with Lab(prefix=prefix, loss=loss) as L:
        path = os.path.join(L.tmp, "script.json")
        with open(path, "w") as f:
            json.dump(script, f)
        L.python(L.sns, "server", [SCRIPTED_PEERS, "server", path], background=True)
        for p in ports:
            L.wait_listen(L.sns, p)
        L.start_capture(pcap)
        L.python(L.cns, "client", [SCRIPTED_PEERS, "client", path, SERVER6 if v6 else SERVER4])
        L.stop_capture()
        L.stop_all()
        cut_bytes = [(script[ci]["port"], bytes.fromhex(script[ci]["steps"][si][1]))
                     for ci, si in cuts]
        if cuts:
            removed = _cut_packets(pcap, cut_bytes)
            if removed != len(cuts):
                raise SystemExit("cut %d packets, wanted %d (retransmitted or merged?)" %
                                 (removed, len(cuts)))
        if corrupt:
            changed = _corrupt_checksums(pcap, [(script[ci]["port"],
                                                 bytes.fromhex(script[ci]["steps"][si][1]))
                                                for ci, si in corrupt])
            if changed != len(corrupt):
                raise SystemExit("changed %d checksums, wanted %d" % (changed, len(corrupt)))
        m = finish(L, pcap, os.path.join(here, name + ".manifest.json"), description,
                   objects=objects, notes=notes)
    if cuts:
        # What the capture holds of each cut connection, in manifest (start) order, which is
        # the script's order: the client plays conversations one after another.
        for ci, conv in enumerate(script):
            cut_steps = {si for c, si in cuts if c == ci}
            if cut_steps:
                m["connections"][ci]["captured"] = captured_streams(conv, cut_steps)
        m["cuts"] = [{"conversation": ci, "step": si} for ci, si in cuts]
        write_manifest(m, os.path.join(here, name + ".manifest.json"))
    return m
