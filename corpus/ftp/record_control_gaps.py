#!/usr/bin/python3
"""Records ftp/control_gaps.pcap: an FTP control session with lines missing from the capture and malformed replies, IPv4, no loss.

Raw-socket peers (corpus/record/scripted_peers.py) play one control connection, each
line its own segment. Afterwards three segments are cut out of the capture (holes the
tap missed, each on a line boundary): the server's reply to PWD, the server's reply to
SIZE, and the client's NOOP (its reply then answers nothing). The server also sends
three malformed replies ("99 ..." to FEAT, "230_no_space" to STAT, a line with no code to
HELP). A RETR announces "(8192 bytes)" in its 150 reply; its data connection is not
in the capture (the client never opens it), so the size comes from the reply alone.
Pairing must hold for every command after each of these.
"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab

HERE = os.path.dirname(os.path.abspath(__file__))

LINES = [
    ("s", "220 scripted FTP server ready"),
    ("c", "USER alice"), ("s", "331 Password required for alice"),
    ("c", "PASS secret"), ("s", "230 User alice logged in"),
    ("c", "SYST"), ("s", "215 UNIX Type: L8"),
    ("c", "PWD"), ("s", '257 "/home/alice" is the current directory'),   # cut
    ("c", "TYPE I"), ("s", "200 Type set to I"),
    ("c", "SIZE report.pdf"), ("s", "213 8192"),                          # cut
    ("c", "CWD pub"), ("s", "250 CWD command successful"),
    ("c", "NOOP"),                                                        # cut
    ("s", "200 NOOP ok"),
    ("c", "FEAT"), ("s", "99 no features here"),
    ("c", "MDTM report.pdf"), ("s", "213 20260101120000"),
    ("c", "STAT"), ("s", "230_no_space"),
    ("c", "HELP"), ("s", "this server does not help"),
    ("c", "PASV"), ("s", "227 Entering Passive Mode (198,18,0,2,86,206)"),
    ("c", "RETR report.pdf"),
    ("s", "150 Opening BINARY mode data connection for report.pdf (8192 bytes)"),
    ("s", "226 Transfer complete"),
    ("c", "QUIT"), ("s", "221 Goodbye"),
]
CUT = ['257 "/home/alice" is the current directory', "213 8192", "NOOP"]


def main():
    steps = [[w, (t + "\r\n").encode().hex()] for w, t in LINES]
    script = [{"port": 22101, "steps": steps, "close": "s"}]
    cuts = [(0, i) for i, (w, t) in enumerate(LINES) if t in CUT]
    lab.record_script(HERE, "control_gaps", __doc__.splitlines()[0], script, cuts=cuts)


if __name__ == "__main__":
    main()
