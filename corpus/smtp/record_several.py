#!/usr/bin/python3
"""Records smtp/several.pcap: smtplib -> aiosmtpd, four messages on two connections, 3% loss per hop.

Connection 1 (IPv4): EHLO, a message whose body lines start with dots (dot-stuffed
on the wire), a message with a base64 binary and a quoted-printable text attachment,
RSET, a nested multipart/alternative + related message with an inline image and a
PDF attachment, QUIT. Connection 2 (IPv6): HELO, one more dotted message, QUIT.
The manifest's objects are each message as the server received it (dot-unstuffed)
and each attachment decoded, as logged by the server.
"""
import json
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "several"
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=3) as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [os.path.join(lab.HERE, "smtp_server.py"), "--objects", objects],
                 background=True)
        L.wait_listen(L.sns, 2525)
        L.start_capture(pcap)
        sent = os.path.join(L.tmp, "sent.json")
        client = os.path.join(lab.HERE, "smtp_client.py")
        L.python(L.cns, "client", [client, lab.SERVER4, lab.SERVER6, "2525", sent])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        got = [o for o in objs if o["kind"] == "message"]
        want = json.load(open(sent))
        if [(o["sha256"], o["length"]) for o in got] != [(w["sha256"], w["length"]) for w in want]:
            raise SystemExit("server's messages differ from what the client sent:\n%s\n%s" % (got, want))
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
