"""Hand-packed pcap writing for the hostile-input test (no scapy: fast, no dependency).

Builds Ethernet frames carrying IPv4/IPv6 and TCP with struct. Checksums are left zero:
tcpfollow does not verify them (offload makes them meaningless in captures). Conn writes a
whole TCP conversation (handshake, data in large segments, FIN) so that a generator only
says who sends what.
"""
import struct

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
MAC_A = b"\x02\x00\x00\x00\x00\x01"
MAC_B = b"\x02\x00\x00\x00\x00\x02"


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(last):
    return b"\x20\x01\x0d\xb8" + b"\x00" * 11 + bytes([last])


def eth(payload, ethertype=ETH_IPV4):
    return MAC_B + MAC_A + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, payload, proto=6, ident=1, flags_frag=0x4000, total_len=None, ihl=5,
         ttl=64):
    hdr_len = ihl * 4 if ihl >= 5 else 20
    tl = total_len if total_len is not None else 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), 0, tl & 0xFFFF, ident & 0xFFFF,
                      flags_frag, ttl, proto, 0, ip4(src), ip4(dst))
    return hdr + b"\x00" * (hdr_len - 20) + payload


def ipv6(src_last, dst_last, payload, nh=6, payload_len=None):
    pl = payload_len if payload_len is not None else len(payload)
    return struct.pack("!IHBB16s16s", 0x60000000, pl & 0xFFFF, nh, 64, ip6(src_last),
                       ip6(dst_last)) + payload


def tcp(sport, dport, seq, ack, flags, payload=b"", data_offset=5, window=65535):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (data_offset & 0xF) << 4, flags, window, 0, 0)
    return hdr + b"\x00" * max(0, data_offset * 4 - 20) + payload


FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class Pcap:
    """Writes a classic microsecond pcap; `raw_record` allows lying record headers."""

    def __init__(self, path, linktype=1, snaplen=262144):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
        self.t = 1_700_000_000.0

    def packet(self, frame, ts=None, caplen=None, origlen=None, step=0.001):
        if ts is None:
            self.t += step
            ts = self.t
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        cl = len(frame) if caplen is None else caplen
        ol = len(frame) if origlen is None else origlen
        self.f.write(struct.pack("<IIII", sec, usec, cl, ol))
        self.f.write(frame)

    def raw(self, data):
        self.f.write(data)

    def close(self):
        self.f.close()


class Conn:
    """One TCP connection over IPv4 (or IPv6 with v6=True) written into a Pcap."""

    def __init__(self, pcap, cport, sport, client="10.0.0.1", server="10.0.0.2",
                 v6=False, mss=60000, isn_c=1000, isn_s=5000):
        self.p, self.cport, self.sport = pcap, cport, sport
        self.client, self.server, self.v6, self.mss = client, server, v6, mss
        self.seq = {"c": isn_c, "s": isn_s}

    def _frame(self, d, flags, payload, seq=None):
        c2s = d == "c"
        sp, dp = (self.cport, self.sport) if c2s else (self.sport, self.cport)
        other = "s" if c2s else "c"
        seg = tcp(sp, dp, self.seq[d] if seq is None else seq, self.seq[other], flags, payload)
        if self.v6:
            return eth(ipv6(1 if c2s else 2, 2 if c2s else 1, seg), ETH_IPV6)
        src, dst = (self.client, self.server) if c2s else (self.server, self.client)
        return eth(ipv4(src, dst, seg))

    def handshake(self):
        self.p.packet(self._frame("c", SYN, b""))
        self.seq["c"] += 1
        self.p.packet(self._frame("s", SYN | ACK, b""))
        self.seq["s"] += 1
        self.p.packet(self._frame("c", ACK, b""))
        return self

    def send(self, d, data):
        for i in range(0, len(data), self.mss):
            chunk = data[i:i + self.mss]
            self.p.packet(self._frame(d, PSH | ACK, chunk))
            self.seq[d] += len(chunk)
        return self

    def segment_at(self, d, seq, data):
        """A segment at an explicit sequence number (out of order, jumps); seq not advanced."""
        self.p.packet(self._frame(d, PSH | ACK, data, seq=seq))

    def close(self):
        self.p.packet(self._frame("c", FIN | ACK, b""))
        self.seq["c"] += 1
        self.p.packet(self._frame("s", FIN | ACK, b""))
        self.seq["s"] += 1
        self.p.packet(self._frame("c", ACK, b""))
        return self
