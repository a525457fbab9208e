#!/usr/bin/python3
"""Drives a running browser through its remote protocol for the browser end-to-end tests
(tests/browsers.rs): Chromium over the Chrome DevTools Protocol, Firefox over WebDriver BiDi.

Usage: remote.py chromium|firefox PORT

Reads one JSON command per line on stdin and answers one JSON line on stdout:
  {"cmd": "navigate", "url": U, "timeout": S}
      -> {"ok": true, "text": BODY_TEXT, "url": URL, "ms": MS}
         or {"ok": false, "error": WHY, "text": BODY_TEXT_IF_ANY, "ms": MS}
  {"cmd": "screenshot", "path": P}   (the page only; the test shoots the whole screen itself)
      -> {"ok": true}
  {"cmd": "quit"} -> exits
The first line written is {"ready": true} once connected (or {"ready": false, "error": ...}).
Every wait is bounded. Needs Debian's python3-websocket.
"""

import base64
import itertools
import json
import sys
import time
import urllib.request

import websocket


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Connection:
    """A JSON-RPC-ish WebSocket connection shared by CDP and BiDi (both use id/method/params)."""

    def __init__(self, url, deadline):
        last = None
        while time.monotonic() < deadline:
            try:
                self.ws = websocket.create_connection(url, timeout=5, suppress_origin=True)
                break
            except Exception as e:  # the browser is still starting
                last = e
                time.sleep(0.2)
        else:
            raise RuntimeError(f"cannot connect to {url}: {last}")
        self.ids = itertools.count(1)
        self.events = []

    def call(self, method, params, timeout):
        """Sends a command and waits for its answer; events seen meanwhile are kept."""
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{method}: no answer within {timeout} s")
            self.ws.settimeout(left)
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    err = msg["error"]
                    if isinstance(err, dict):
                        err = err.get("message", json.dumps(err))
                    raise RuntimeError(f"{method}: {err} {msg.get('message', '')}".strip())
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)


def http_json(url, deadline):
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.load(r)
        except Exception as e:
            last = e
            time.sleep(0.2)
    raise RuntimeError(f"{url}: {last}")


class Chromium:
    def __init__(self, port):
        deadline = time.monotonic() + 60
        pages = []
        while not pages and time.monotonic() < deadline:
            pages = [t for t in http_json(f"http://127.0.0.1:{port}/json/list", deadline) if t.get("type") == "page"]
            if not pages:
                time.sleep(0.2)
        if not pages:
            raise RuntimeError("Chromium shows no page target")
        self.c = Connection(pages[0]["webSocketDebuggerUrl"], deadline)
        self.c.call("Page.enable", {}, 10)
        self.c.call("Runtime.enable", {}, 10)

    def evaluate(self, expression, timeout=10):
        r = self.c.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, timeout)
        return r.get("result", {}).get("value")

    def navigate(self, url, timeout):
        deadline = time.monotonic() + timeout
        r = self.c.call("Page.navigate", {"url": url}, timeout)
        error = r.get("errorText")
        # Wait for the new document to finish loading.
        while time.monotonic() < deadline:
            state = self.evaluate("document.readyState + ' ' + location.href", timeout=5) or ""
            if state.startswith("complete"):
                break
            time.sleep(0.05)
        text = self.evaluate("document.body ? document.body.innerText : ''") or ""
        href = self.evaluate("location.href") or ""
        return error, text, href

    def screenshot(self, path):
        r = self.c.call("Page.captureScreenshot", {"format": "png"}, 20)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))


class Firefox:
    def __init__(self, port):
        deadline = time.monotonic() + 60
        self.c = Connection(f"ws://127.0.0.1:{port}/session", deadline)
        self.c.call("session.new", {"capabilities": {}}, 30)
        tree = self.c.call("browsingContext.getTree", {}, 10)
        self.context = tree["contexts"][0]["context"]

    def evaluate(self, expression, timeout=10):
        r = self.c.call(
            "script.evaluate",
            {"expression": expression, "target": {"context": self.context}, "awaitPromise": False},
            timeout,
        )
        return r.get("result", {}).get("value")

    def navigate(self, url, timeout):
        error = None
        try:
            self.c.call("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}, timeout)
        except TimeoutError:
            raise
        except Exception as e:  # a TLS failure is reported here; the error page is read below
            error = str(e)
        try:
            text = self.evaluate("document.body ? document.body.innerText : ''") or ""
            href = self.evaluate("location.href") or ""
        except Exception as e:
            text, href = "", f"(unreadable: {e})"
        return error, text, href

    def screenshot(self, path):
        r = self.c.call("browsingContext.captureScreenshot", {"context": self.context}, 20)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.c.call("session.end", {}, 5)
        except Exception:
            pass


def main():
    kind, port = sys.argv[1], int(sys.argv[2])
    try:
        browser = Chromium(port) if kind == "chromium" else Firefox(port)
    except Exception as e:
        out({"ready": False, "error": str(e)})
        return 1
    out({"ready": True})
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["cmd"] == "navigate":
                start = time.monotonic()
                error, text, href = browser.navigate(cmd["url"], float(cmd.get("timeout", 60)))
                ms = round((time.monotonic() - start) * 1000)
                if error:
                    out({"ok": False, "error": error, "text": text, "url": href, "ms": ms})
                else:
                    out({"ok": True, "text": text, "url": href, "ms": ms})
            elif cmd["cmd"] == "screenshot":
                browser.screenshot(cmd["path"])
                out({"ok": True})
            elif cmd["cmd"] == "quit":
                if hasattr(browser, "close"):
                    browser.close()
                out({"ok": True})
                return 0
            else:
                out({"ok": False, "error": f"unknown command {cmd['cmd']}"})
        except Exception as e:
            out({"ok": False, "error": f"{type(e).__name__}: {e}", "text": ""})
    return 0


if __name__ == "__main__":
    sys.exit(main())
