#!/usr/bin/python3
"""Records tcp/heavy_loss.pcap: 3 concurrent IPv4 connections, 25 kB each way, 10% loss per hop, MSS 600.

Each of the two bridges drops 10% of TCP frames (about one packet in five lost end
to end), so the capture has many holes filled late by RTO and fast
retransmissions, duplicates of segments lost after the tap, and repeated losses of
the same segment.
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "heavy_loss"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=10, mss=600) as L:
        L.python(L.sns, "server", [lab.TCP_ENDPOINTS, "server", "--listen", "::"], background=True)
        L.wait_listen(L.sns, 9000)
        L.start_capture(pcap)
        L.python(L.cns, "client", [lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER4,
                                   "--conns", "3", "--send", "25000", "--reply", "25000",
                                   "--seed", "81", "--write-size", "1000", "--chunk", "1"])
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
