#!/usr/bin/python3
"""Records tcp/port_reuse.pcap: three connections in sequence on the same 4-tuple, 2% loss per hop.

The client binds port 40001 (SO_REUSEADDR) each time; the server closes first, so the
client has no TIME_WAIT and the server's TIME_WAIT accepts the new SYN. Each
connection carries different bytes (seeds 41, 1041, 2041), so a tool that merges
them, or mixes up their order, fails the check.
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "port_reuse"

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=2) as L:
        L.python(L.sns, "server", [lab.TCP_ENDPOINTS, "server", "--listen", "::"], background=True)
        L.wait_listen(L.sns, 9000)
        L.start_capture(pcap)
        L.python(L.cns, "client", [lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER4,
                                   "--conns", "3", "--sequential", "--bind-port", "40001",
                                   "--mode", "serverclose", "--send", "5000",
                                   "--reply", "7000", "--seed", "41", "--chunk", "1"])
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
