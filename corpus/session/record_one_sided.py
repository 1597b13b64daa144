#!/usr/bin/python3
"""Records session/{smtp_client_only,http_client_only,http_server_only}.pcap: captures that hold one direction only, IPv4, no loss.

Each is recorded between real peers with both directions, then the other side's packets
are removed from the capture (as a span port of one direction, or an asymmetric route,
gives it):
  smtp_client_only: smtplib -> aiosmtpd (port 26511), EHLO, two mails with a binary
    attachment each, QUIT; only the client's packets are kept.
  http_client_only: http.client -> http.server (port 26512) on one keep-alive connection:
    GET of a 20 kB binary, POST of a 5 kB body; only the client's packets are kept.
  http_server_only: the same peers (port 26513): GET of a 15 kB binary (Content-Length)
    and a 7 kB text (chunked); only the server's packets are kept.
Manifests: what the endpoints sent, and per connection what the capture holds
("captured": the kept direction whole, the other empty). Objects: what the kept direction
carries (the mails and attachments as the server decoded them; the POST body; the two
response bodies), as the server logged them and the client saw them.
"""
import json
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab  # noqa: E402
import session_lab  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "session_clients.py")


def record(name, server_argv, port, client_args, keep, pick_objects, check):
    pcap = os.path.join(HERE, name + ".pcap")
    with lab.Lab(prefix="session") as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", server_argv + ["--port", str(port), "--objects", objects],
                 background=True)
        L.wait_listen(L.sns, port)
        L.start_capture(pcap)
        sent = os.path.join(L.tmp, "client.json")
        L.python(L.cns, "client", [CLIENTS, client_args[0], lab.SERVER4, str(port), sent] +
                 client_args[1:])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        check(objs, json.load(open(sent)))
        kept, removed = session_lab.keep_only_from(pcap, lab.CLIENT4 if keep == "client"
                                                   else lab.SERVER4)
        print("%s: kept %d packets of the %s, removed %d" % (name, kept, keep, removed))
        path = os.path.join(HERE, name + ".manifest.json")
        m = lab.finish(L, pcap, path, __doc__.splitlines()[0] + " This one: " + name + ".",
                       objects=pick_objects(objs))
        session_lab.one_sided(m, "client_to_server" if keep == "client" else "server_to_client")
        m["kept"] = keep
        lab.write_manifest(m, path)


def same(what, a, b):
    if a != b:
        raise SystemExit("%s: server and client disagree:\n%s\n%s" % (what, a, b))


def main():
    smtp_server = [os.path.join(lab.HERE, "smtp_server.py")]
    http_server = [lab.HTTP_SERVER]

    def check_smtp(objs, sent):
        same("smtp", [(o["kind"], o["sha256"]) for o in objs],
             [(s["kind"], s["sha256"]) for s in sent])
    record("smtp_client_only", smtp_server, 26511, ["smtp"], "client", lambda objs: objs,
           check_smtp)

    def check_http(objs, sent):
        # Each body the client sent or received is the one the server logged.
        bodies = {(o["method"], o["url"], o["direction"]): o["sha256"] for o in objs}
        for s in sent:
            d = "request" if s["method"] == "POST" else "response"
            same(s["url"], bodies.get((s["method"], s["url"], d)), s["sha256"])
    record("http_client_only", http_server, 26512,
           ["http", "GET:/obj/dl20000.bin", "POST:/upload/up5000.bin:5000"], "client",
           lambda objs: [o for o in objs if o["direction"] == "request"], check_http)
    record("http_server_only", http_server, 26513,
           ["http", "GET:/obj/a15000.bin", "GET:/chunked/t7000.txt"], "server",
           lambda objs: [o for o in objs if o["direction"] == "response"], check_http)


if __name__ == "__main__":
    main()
