"""Helpers shared by the Python end-to-end tests under tests/: where the checkout and the
shared vectors are, whether run by `bazel test` (the working directory is the runfiles
tree, which holds //:WORKSPACE) or by `bazel run` (BUILD_WORKSPACE_DIRECTORY)."""
import os
import subprocess


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
