#!/usr/bin/python3
"""Records tcp/rst_midstream.pcap: a connection the client aborts with RST in mid-reply, no loss.

First a normal connection (FIN both ways), then one where the server replies in 4 KiB
chunks 400 ms apart and the client, after 12288 reply bytes, closes with SO_LINGER 0:
an RST while the server still had 20 KiB to send (its next send fails, so nothing
more is on the wire). No FIN from either side on the second connection. Loss is 0
so the RST itself (never retransmitted) and every byte before it are in the capture.
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "rst_midstream"

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=0) as L:
        L.python(L.sns, "server", [lab.TCP_ENDPOINTS, "server", "--listen", "::"], background=True)
        L.wait_listen(L.sns, 9000)
        L.start_capture(pcap)
        L.python(L.cns, "client0", [lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER4,
                                    "--send", "3000", "--reply", "5000", "--seed", "51"])
        L.python(L.cns, "client1", [lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER4,
                                    "--mode", "rst", "--send", "2000", "--reply", "32768",
                                    "--rst-after", "12288", "--chunk", "4",
                                    "--pause-ms", "400", "--seed", "52"])
        L.stop_capture()
        L.stop_all()
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
