"""Helpers shared by the Python end-to-end tests under tests/: where the checkout and the
shared vectors are, whether run by `bazel test` (the working directory is the runfiles
tree, which holds //:WORKSPACE) or by `bazel run` (BUILD_WORKSPACE_DIRECTORY)."""
import glob
import os
import subprocess
import tempfile


def repo_root():
    if os.environ.get("BUILD_WORKSPACE_DIRECTORY"):
        return os.environ["BUILD_WORKSPACE_DIRECTORY"]
    return os.path.dirname(os.path.realpath("WORKSPACE"))


def vectors_dir(required=""):
    """The shared vectors folder ($TCPFOLLOW_VECTORS, else ../shared/vectors beside the
    checkout), or None when it is missing or lacks the `required` subfolder."""
    env = os.environ.get("TCPFOLLOW_VECTORS")
    path = env or os.path.normpath(os.path.join(repo_root(), "..", "shared", "vectors"))
    return path if os.path.isdir(os.path.join(path, required)) else None


def tool_logs(tool):
    """The JSONL logs the tool can write, in its order (tcpfollow --list-logs): the one
    list of protocols in tools/session/registry.cc, not a copy kept here."""
    out = subprocess.run([tool, "--list-logs"], check=True, capture_output=True, text=True)
    logs = out.stdout.split()
    assert logs and logs[0] == "flows", "unexpected --list-logs output: %r" % out.stdout
    return logs


def vector_folders(vectors, suite, patterns):
    """The names of the folders of VECTORS/SUITE that match one of the glob `patterns`."""
    found = set()
    for pattern in patterns:
        found.update(os.path.basename(p) for p in glob.glob(os.path.join(vectors, suite, pattern))
                     if os.path.isdir(p))
    return found


def work_dir(prefix):
    """A new folder for a test's outputs, under $TEST_TMPDIR when Bazel gives one."""
    tmp = os.environ.get("TEST_TMPDIR")
    return tempfile.mkdtemp(prefix=prefix, dir=tmp if tmp and os.path.isdir(tmp) else None)


class VectorTally:
    """The verdicts of a run over a vector suite, printed one line a vector as they come
    (FAIL / skip / known / ok) and summed up by report(): a crash or a difference fails,
    a difference the table marks `known` is listed but not counted, and a `known` entry
    that now agrees says its mark should go."""

    def __init__(self):
        self.failures, self.known = [], []
        self.counts = {"ok": 0, "skipped": 0, "known": 0}

    def crashed(self, name, crashes):
        self.failures += ["%s: %s" % (name, c) for c in crashes]
        print("FAIL  %s: %s" % (name, "; ".join(crashes)))

    def skipped(self, name, why, ran):
        self.counts["skipped"] += 1
        print("skip  %s: %s (%s)" % (name, why, ran))

    def compared(self, name, entry, diffs, detail=""):
        """A vector whose checks ran: `diffs` are the differences found, `detail` follows
        the name on an ok line. Returns whether it counts as compared (ok or known)."""
        if diffs and entry.get("known"):
            self.counts["known"] += 1
            self.known.append("%s: %s\n      got: %s"
                              % (name, entry["known"], "\n      got: ".join(diffs)))
            print("known %s" % name)
            return True
        if diffs:
            self.failures += ["%s: %s" % (name, d) for d in diffs]
            print("FAIL  %s:\n      %s" % (name, "\n      ".join(diffs)))
            return False
        self.counts["ok"] += 1
        note = ("  (marked KNOWN DIFFERENCE but now agrees: remove `known`)"
                if entry.get("known") else "")
        print("ok    %s%s%s" % (name, detail, note))
        return True

    def report(self, vectors, extra=""):
        """Prints the known differences, the summary line (`extra` appended) and every
        failure; returns the exit status."""
        if self.known:
            print("\nKNOWN DIFFERENCES (expected failures, not counted):")
            for k in self.known:
                print("  " + k)
        print("\n%d vectors: %d ok, %d skipped (ran only), %d known differences, %d failures%s"
              % (vectors, self.counts["ok"], self.counts["skipped"], self.counts["known"],
                 len(self.failures), extra))
        for f in self.failures:
            print("FAIL " + f)
        return 1 if self.failures else 0
