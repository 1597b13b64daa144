#!/usr/bin/python3
"""Records tcp/bidir.pcap: one IPv4 connection carrying 60 KB each way at the same time, 4% loss per hop.

Both sides write while the other writes (the client in 700-byte writes, the server in
1 KiB chunks) with a 536-byte MSS, so data and ACKs interleave in both directions
while packets are dropped before and after the tap.
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "bidir"

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=4, mss=536) as L:
        L.python(L.sns, "server", [lab.TCP_ENDPOINTS, "server", "--listen", "::"], background=True)
        L.wait_listen(L.sns, 9000)
        L.start_capture(pcap)
        L.python(L.cns, "client", [lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER4,
                                   "--send", "60000", "--reply", "60000", "--seed", "21",
                                   "--write-size", "700", "--chunk", "1"])
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
