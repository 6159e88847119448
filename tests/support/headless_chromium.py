"""Opens a local page in Debian's headless Chromium over the DevTools protocol and reports what a person
would notice: console errors, uncaught exceptions, failed loads, the page's own measurements, a screenshot.

Also a script: `python tests/support/headless_chromium.py PAGE.html OUT.png` keeps a screenshot (make screenshot).
"""

import base64
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
WIDTH = 1400


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads
    measurements: object = None
    screenshot: bytes = b""


class DevTools:
    def __init__(self, websocket):
        self.websocket, self.ids, self.events = websocket, itertools.count(1), []

    def send(self, method: str, session: str | None = None, **params) -> dict:
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.websocket.send(json.dumps(message))
        while True:
            reply = json.loads(self.websocket.recv(timeout=30))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(event.get("method") == method for event in self.events):
            self.events.append(json.loads(self.websocket.recv(timeout=max(deadline - time.monotonic(), 0.01))))

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(json.loads(self.websocket.recv(timeout=left)))
            except TimeoutError:
                return


def problems(events: list[dict]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            found.append("console." + params["type"] + ": " + " ".join(
                str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            found.append("exception: " + details.get("exception", {}).get("description", details["text"]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log: {params['entry']['text']} {params['entry'].get('url', '')}".strip())
        elif method == "Network.loadingFailed":
            found.append(f"load failed: {params.get('errorText')}")
    return found


def open_page(page: Path, measure_js: str = "null") -> PageReport:
    """Loads `page`, evaluates `measure_js` in it (its JSON-able value is returned) and takes a full-page
    screenshot."""
    # Chromium's helper processes can still be writing to the profile when the browser has exited (seen on a
    # loaded machine): they are stopped with it, and what they leave in the temporary profile is no error.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        try:
            endpoint = None
            for line in browser.stderr:
                if match := re.search(r"DevTools listening on (ws://\S+)", line):
                    endpoint = match.group(1)
                    break
            if endpoint is None:
                raise RuntimeError("chromium exited before opening its DevTools endpoint")
            with connect(endpoint, max_size=None, open_timeout=30) as websocket:
                return inspect(DevTools(websocket), page, measure_js)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGTERM)  # the browser and every helper it started
            browser.wait(timeout=30)


def inspect(tools: DevTools, page: Path, measure_js: str) -> PageReport:
    target = tools.send("Target.createTarget", url="about:blank")["targetId"]
    session = tools.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Runtime", "Log", "Page", "Network"):
        tools.send(f"{domain}.enable", session)
    tools.events.clear()  # anything about:blank said is not the page's
    tools.send("Emulation.setDeviceMetricsOverride", session, width=WIDTH, height=900, deviceScaleFactor=1,
               mobile=False)
    tools.send("Page.navigate", session, url=page.resolve().as_uri())
    tools.wait_for("Page.loadEventFired")
    tools.drain(0.5)  # late console messages
    report = PageReport()
    evaluated = tools.send("Runtime.evaluate", session, expression=f"JSON.stringify({measure_js})", returnByValue=True)
    report.measurements = json.loads(evaluated["result"]["value"])
    height = tools.send("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
    tools.send("Emulation.setDeviceMetricsOverride", session, width=WIDTH, height=int(height), deviceScaleFactor=1,
               mobile=False)
    report.screenshot = base64.b64decode(tools.send("Page.captureScreenshot", session, format="png")["data"])
    tools.drain(0.2)
    report.errors = problems(tools.events)
    return report


if __name__ == "__main__":
    result = open_page(Path(sys.argv[1]))
    Path(sys.argv[2]).write_bytes(result.screenshot)
    print(f"{sys.argv[2]}: {len(result.screenshot):,} bytes; problems: {result.errors or 'none'}")
    sys.exit(1 if result.errors else 0)
