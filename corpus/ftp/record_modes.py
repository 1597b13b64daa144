#!/usr/bin/python3
"""Records ftp/modes.pcap: curl against pyftpdlib in PASV, EPSV, PORT and EPRT modes, IPv4 + IPv6, 3% loss per hop.

Sessions (each one curl run, its own control connection):
  1. IPv4, PASV: download a 20 kB binary (user corpus).
  2. IPv4, EPSV: LIST of the root, then download a 6 kB text on the same control connection.
  3. IPv4, active PORT (server connects to the client): download a 15 kB binary.
  4. IPv4, EPSV: upload (STOR) a 12 kB binary into /upload.
  5. IPv6, EPSV: download a 10 kB binary (anonymous).
  6. IPv6, active EPRT: download a 7 kB binary.
Active-mode data connections are opened by the server, so in the manifest the
server is their originator. Objects: every file the server sent or received.
"""
import os
import random
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

NAME = "modes"
HERE = os.path.dirname(os.path.abspath(__file__))
FILES = {"pasv20000.bin": 20000, "notes6000.txt": 6000, "port15000.bin": 15000,
         "v6_10000.bin": 10000, "eprt7000.bin": 7000}


def make_file(path, name, size):
    rnd = random.Random(name)
    if name.endswith(".txt"):
        data = "".join("line %04d of %s\r\n" % (i, name) for i in range(size // 24)).encode()
    else:
        data = rnd.randbytes(size)
    open(path, "wb").write(data)


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(loss=3) as L:
        root = os.path.join(L.tmp, "root")
        os.makedirs(os.path.join(root, "upload"))
        os.chmod(L.tmp, 0o755)
        for name, size in FILES.items():
            make_file(os.path.join(root, name), name, size)
        upfile = os.path.join(L.tmp, "up12000.bin")
        make_file(upfile, "up12000.bin", 12000)
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.python(L.sns, "server", [os.path.join(lab.HERE, "ftp_server.py"), "--root", root,
                                   "--objects", objects], background=True)
        L.wait_listen(L.sns, 2121)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        v4 = "ftp://corpus:corpus@%s:2121/" % lab.SERVER4
        v6 = "ftp://[%s]:2121/" % lab.SERVER6
        curl = ["curl", "-sS", "-g"]
        L.start_capture(pcap)
        L.run_ns(L.cns, curl + ["--disable-epsv", "-o", dl + "/1", v4 + "pasv20000.bin"])
        L.run_ns(L.cns, curl + ["-o", dl + "/list", v4, "-o", dl + "/2", v4 + "notes6000.txt"])
        L.run_ns(L.cns, curl + ["-P", lab.CLIENT4, "--disable-eprt", "-o", dl + "/3",
                                v4 + "port15000.bin"])
        L.run_ns(L.cns, curl + ["-T", upfile, v4 + "upload/up12000.bin"])
        L.run_ns(L.cns, curl + ["-o", dl + "/5", v6 + "v6_10000.bin"])
        L.run_ns(L.cns, curl + ["-P", "-", "-o", dl + "/6", v6 + "eprt7000.bin"])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        names = [o["name"] for o in objs]
        want = ["pasv20000.bin", "notes6000.txt", "port15000.bin", "up12000.bin",
                "v6_10000.bin", "eprt7000.bin"]
        if names != want:
            raise SystemExit("server transferred %s, expected %s" % (names, want))
        for i, o in zip((1, 2, 3, None, 5, 6), objs):
            path = upfile if i is None else dl + "/%d" % i
            if lab.sha256_file(path) != o["sha256"]:
                raise SystemExit("%s differs between client and server" % o["name"])
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
