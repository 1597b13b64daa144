#!/usr/bin/python3
"""Records tcp/ipv6.pcap: 4 concurrent IPv6 connections (2001:db8::1 -> ::2), data both ways, 4% loss per hop.
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "ipv6"

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=4) as L:
        L.python(L.sns, "server", [lab.TCP_ENDPOINTS, "server", "--listen", "::"], background=True)
        L.wait_listen(L.sns, 9000)
        L.start_capture(pcap)
        L.python(L.cns, "client", [lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER6,
                                   "--conns", "4", "--send", "12000", "--reply", "9000",
                                   "--seed", "31", "--write-size", "1500", "--chunk", "2"])
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
