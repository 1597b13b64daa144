#!/usr/bin/python3
"""Records tcp/concurrent_loss.pcap: 8 concurrent IPv4 connections, data both ways, 5% loss per hop.

Each connection sends a header + 6000 bytes and gets 8000 bytes back, both at once
(client half-closes when done). Each bridge drops 5% of TCP frames, one before and
one after the tap, so the capture holds retransmissions, late-filled holes and duplicates.
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "concurrent_loss"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=5) as L:
        L.python(L.sns, "server", [lab.TCP_ENDPOINTS, "server", "--listen", "::"], background=True)
        L.wait_listen(L.sns, 9000)
        L.start_capture(pcap)
        L.python(L.cns, "client", [lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER4,
                                   "--conns", "8", "--send", "6000", "--reply", "8000",
                                   "--seed", "11", "--write-size", "1000", "--chunk", "1"])
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
