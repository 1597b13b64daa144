"""What the TLS capture generators of this folder share (make_ssl3.py, make_tls13_drafts.py):
record and handshake framing, the HTTP/1.0 exchange each session carries, and Capture, which
lays sessions out as IPv4/TCP over Ethernet between 198.18.0.1 and 198.18.0.2 (three-way
handshake, segments of at most 1200 bytes each ACKed, FIN both ways; 0.5 ms between
packets, 0.2 s between connections) and writes the classic pcap and the manifest's
connection entries (raw stream hashes as generated), and the .args file.

Randoms, sequence numbers and IP ids all come from the Capture's seeded generator, drawn in
the order the generators call it, so a generator's output depends only on its seed. The
protection of records (SSL 3.0 MAC-then-CBC/RC4, TLS 1.3 draft AEAD) stays in each
generator: they share no cryptography. Imported, never run; needs only the standard library.
"""
import hashlib
import json
import os
import random
import struct

CLIENT, SERVER = "198.18.0.1", "198.18.0.2"
SEGMENT = 1200  # payload bytes per TCP segment at most


def u16(n):
    return struct.pack(">H", n)


def u24(n):
    return struct.pack(">I", n)[1:]


def handshake(t, body):
    """A handshake message: type, 24-bit length, body."""
    return bytes([t]) + u24(len(body)) + body


def plain_record(ctype, body, version):
    """A record in the clear: type, version, 16-bit length, body."""
    return bytes([ctype]) + u16(version) + u16(len(body)) + body


def http_exchange(name, body):
    """The GET of /name and its 200 answer carrying `body`, and the object the manifest
    expects from them."""
    request = b"GET /%s HTTP/1.0\r\nHost: tcpfollow.test\r\n\r\n" % name.encode()
    answer = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    obj = {"source": "http", "sha256": hashlib.sha256(body).hexdigest(), "length": len(body),
           "direction": "response", "method": "GET", "url": "/" + name, "status": 200, "name": name}
    return request, answer, obj


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split("."))


class Capture:
    """The frames of a generated capture, its connections' manifest entries, and the seeded
    generator everything random in it comes from."""

    def __init__(self, seed, start_time):
        self.rng = random.Random(seed)
        self.t = start_time
        self.frames = []  # (time, Ethernet frame)
        self.connections = []  # manifest entries

    def rand(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def packet(self, src, dst, sport, dport, seq, ack, flags, payload):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), self.rng.getrandbits(16), 0x4000, 64, 6,
                         0, ip4(src), ip4(dst))
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip + tcp

    def connection(self, sport, port, turns, index):
        """Adds one connection from CLIENT:sport to SERVER:port carrying `turns`, a list of
        ("c" or "s", bytes) in order, and its manifest entry."""
        cseq, sseq = self.rng.getrandbits(32), self.rng.getrandbits(32)
        start = self.t
        up, down = b"", b""

        def emit(frm, flags, payload=b""):
            nonlocal cseq, sseq
            self.t += 0.0005
            if frm == "c":
                self.frames.append((self.t, self.packet(CLIENT, SERVER, sport, port, cseq, sseq, flags, payload)))
                cseq = (cseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xffffffff
            else:
                self.frames.append((self.t, self.packet(SERVER, CLIENT, port, sport, sseq, cseq, flags, payload)))
                sseq = (sseq + len(payload) + (1 if flags & 0x03 else 0)) & 0xffffffff

        self.t += 0.0005
        self.frames.append((self.t, self.packet(CLIENT, SERVER, sport, port, cseq, 0, 0x02, b"")))
        cseq = (cseq + 1) & 0xffffffff
        emit("s", 0x12)
        emit("c", 0x10)
        for frm, data in turns:
            if frm == "c":
                up += data
            else:
                down += data
            for k in range(0, len(data), SEGMENT):
                emit(frm, 0x18, data[k:k + SEGMENT])
            emit("s" if frm == "c" else "c", 0x10)
        emit("c", 0x11)
        emit("s", 0x11)
        emit("c", 0x10)
        self.t += 0.2
        self.connections.append({
            "orig_h": CLIENT, "orig_p": sport, "resp_h": SERVER, "resp_p": port, "start": start,
            "client_to_server": {"sha256": hashlib.sha256(up).hexdigest(), "length": len(up)},
            "server_to_client": {"sha256": hashlib.sha256(down).hexdigest(), "length": len(down)},
            "recorded_by": ["generator"], "index": index})

    def write_pcap(self, path, round_usec):
        """Writes the frames as classic pcap (microseconds, Ethernet). `round_usec`: round
        each time's fraction to the nearest microsecond rather than truncate it (the two
        generators were written each its own way; either keeps its committed capture)."""
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for ts, fr in self.frames:
                usec = int(round((ts % 1) * 1e6)) % 1000000 if round_usec else int((ts % 1) * 1e6)
                f.write(struct.pack("<IIII", int(ts), usec, len(fr), len(fr)) + fr)

    def write(self, folder, name, description, generator, objects, args, round_usec):
        """Writes NAME.pcap (see write_pcap), NAME.manifest.json (its connections and
        `objects`) and NAME.args (`args`) into `folder`."""
        self.write_pcap(os.path.join(folder, name + ".pcap"), round_usec)
        manifest = {"capture": name + ".pcap", "description": description,
                    "recorded_with": {"generator": generator},
                    "connections": self.connections, "objects": objects}
        with open(os.path.join(folder, name + ".manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
            f.write("\n")
        with open(os.path.join(folder, name + ".args"), "w") as f:
            f.write(args)
        print("%s.pcap: %d frames, %d sessions" % (name, len(self.frames), len(self.connections)))
