"""A minimal W3C WebDriver client for Debian's chromium + chromedriver, over plain HTTP/JSON
(no selenium): start a headless Chromium with a fresh profile, open a page, run script,
read the browser console and the network log, take screenshots.

Chromium runs with every background service off (no component updates, sync, field trials
or QUIC), so that any request in the network log came from the page itself.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


class WebDriverError(Exception):
    pass


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Browser:
    def __init__(self, width=1400, height=1000):
        for exe in (CHROMIUM, CHROMEDRIVER):
            if not os.access(exe, os.X_OK):
                raise SystemExit("FAIL: %s is missing (scripts/setup.sh installs chromium and "
                                 "chromium-driver)" % exe)
        self.tmp = tempfile.mkdtemp(prefix="report-browser-")
        self.port = _free_port()
        self.log = open(os.path.join(self.tmp, "chromedriver.log"), "w")
        self.proc = subprocess.Popen([CHROMEDRIVER, "--port=%d" % self.port], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 20
        while True:
            try:
                self._call("GET", "/status")
                break
            except (urllib.error.URLError, ConnectionError, WebDriverError):
                if time.time() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise SystemExit("FAIL: chromedriver did not start")
                time.sleep(0.1)
        profile = os.path.join(self.tmp, "profile")
        os.makedirs(profile)
        caps = {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         "--disable-default-apps", "--disable-extensions",
                         "--user-data-dir=" + profile,
                         "--window-size=%d,%d" % (width, height)],
                "perfLoggingPrefs": {"enableNetwork": True, "enablePage": False},
            },
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
        }
        r = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
        self.session = r["sessionId"]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                out = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            out = json.loads(e.read() or b"{}")
            v = out.get("value", {})
            raise WebDriverError("%s %s: %s: %s" % (method, path, v.get("error"),
                                                     str(v.get("message", ""))[:300]))
        return out.get("value", out) if path != "/session" else out["value"]

    def _s(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.session, path), body)

    def get(self, url):
        self._s("POST", "/url", {"url": url})

    def script(self, js, *args):
        """Runs `js` as a function body (use `return`); args are arguments[0..]."""
        return self._s("POST", "/execute/sync", {"script": js, "args": list(args)})

    def wait(self, js, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.script(js):
                return True
            time.sleep(0.05)
        return False

    def title(self):
        return self._s("GET", "/title")

    def alert_text(self):
        """The text of an open alert/confirm/prompt, or None."""
        try:
            return self._s("GET", "/alert/text")
        except WebDriverError as e:
            if "no such alert" in str(e):
                return None
            raise

    def logs(self, kind):
        """'browser' (console) or 'performance' (DevTools events); each call drains."""
        return self._s("POST", "/se/log", {"type": kind})

    def requested_urls(self):
        urls = []
        for entry in self.logs("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                urls.append(msg["params"]["request"]["url"])
        return urls

    def set_size(self, width, height):
        self._s("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        png = base64.b64decode(self._s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)

    def close(self):
        try:
            if getattr(self, "session", None):
                self._s("DELETE", "")
        except Exception:  # noqa: BLE001 - shutting down anyway
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
