#!/usr/bin/python3
"""Records http/pipelined.pcap: pipelined HTTP/1.1 requests from a raw-socket client, IPv6, 3% loss per hop.

The client (http_pipeline_client.py) writes four GET requests in a single send()
before reading anything (chunked, plain, 404, gzip), then a fifth request with
`Connection: close`; the server answers them in order on the same connection.
A second connection sends two pipelined requests split mid-request-line across
two writes. The manifest's objects are the decoded response bodies.
"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "pipelined"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=3) as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [lab.HTTP_SERVER, "--objects", objects], background=True)
        L.wait_listen(L.sns, 8080)
        L.start_capture(pcap)
        client = os.path.join(lab.HERE, "http_pipeline_client.py")
        L.python(L.cns, "client", [client, lab.SERVER6, "8080"])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
