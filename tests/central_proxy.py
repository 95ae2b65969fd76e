"""A forwarding HTTP proxy in front of a central server, for pull and push tests: it logs every request with
its answer, and can hold one request until the test lets it go (to kill a pull or push at a known point),
before forwarding it or, with `hold_after_forward`, after the central has answered it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

# The request headers a pull sends that the central must see, and the answer headers it reads.
FORWARDED_REQUEST = ("Authorization", "Accept", "If-Modified-Since", "Content-Type", "X-Idempotency-Key")
FORWARDED_ANSWER = ("Content-Type", "Last-Modified", "X-Page-Generated")


class CentralProxy:
    """Listens on 127.0.0.1; `log` holds (path with query, status) of each request answered."""

    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")
        self.log: list[tuple[str, int]] = []
        self.hold: Callable[[str], bool] = lambda path: False
        self.hold_after_forward = False
        self.held = threading.Event()
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                self.forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self.forward("POST")

            def do_PATCH(self) -> None:  # noqa: N802
                self.forward("PATCH")

            def forward(self, method: str) -> None:
                held = proxy.hold(self.path)
                if held and not proxy.hold_after_forward:
                    proxy.held.set()
                    proxy.release.wait(timeout=60)
                headers = {name: self.headers[name] for name in FORWARDED_REQUEST if self.headers.get(name)}
                # The central builds its `next` links from Host: they must lead back through the proxy.
                headers["Host"] = self.headers["Host"]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                answer = requests.request(method, proxy.target + self.path, headers=headers, data=body, timeout=30)
                proxy.log.append((self.path, answer.status_code))
                if held and proxy.hold_after_forward:
                    proxy.held.set()
                    proxy.release.wait(timeout=60)
                self.send_response(answer.status_code)
                for name in FORWARDED_ANSWER:
                    if name in answer.headers:
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads `log`."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def statuses(self, fragment: str) -> list[int]:
        """The answers to the requests whose path contains `fragment`, in order."""
        return [status for path, status in self.log if fragment in path]

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def kill_push_at_second_order(proxy: CentralProxy, box: str, event: str, *push_args: str) -> None:
    """Run `kiosk-tickets push` through the proxy and SIGKILL it once the central has created its second order,
    before the push hears the answer: the central holds an order the box does not know it holds."""
    posted: list[str] = []

    def second_order(path: str) -> bool:
        if path.endswith(f"/events/{event}/orders/"):
            posted.append(path)
            return len(posted) == 2
        return False

    proxy.hold, proxy.hold_after_forward = second_order, True
    command = [sys.executable, "-m", "kiosk_tickets", "--data-dir", box, "push", "--from", proxy.url, *push_args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert proxy.held.wait(timeout=60), "the push never sent a second order"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        proxy.hold = lambda path: False
        proxy.release.set()
