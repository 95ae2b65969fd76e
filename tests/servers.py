"""Real processes for tests: the kiosk-tickets command and waitress servers on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

READY_TIMEOUT = 30.0
# Debian's Chromium, as root without a sandbox, and without the background traffic a closed LAN refuses.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def run_cli(data_dir: Path, *args: str) -> str:
    """Run the command line to completion and return its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "kiosk_tickets", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def init_token(data_dir: Path, organizer: str) -> str:
    """Create the organizer on `data_dir` with the command line, as an operator would; return its admin token."""
    return run_cli(data_dir, "init", "--organizer", organizer, "--name", organizer.title()).strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One `kiosk-tickets serve` process; stop() ends exactly the process it started."""

    def __init__(self, data_dir: Path, *options: str, threads: int = 4) -> None:
        """Start the server; `options` are more `serve` options (e.g. connection limits)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: a pipe nobody reads fills up with waitress's warnings and stalls the server.
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk_tickets", "--data-dir", str(data_dir), "serve"]
            + ["--host", "127.0.0.1", "--port", str(self.port), "--threads", str(threads), *options],
            stdout=subprocess.DEVNULL,
            stderr=self.errors,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.errors.seek(0)
                raise RuntimeError(f"server exited: {self.errors.read().decode()}")
            try:
                requests.get(self.url + "/api/v1/organizers/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)  # a real process starting up: there is no clock to move
        self.stop()
        raise RuntimeError("server did not start in time")

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        self.errors.seek(0)
        return self.errors.read().decode()

    def kill_hard(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill_hard()
        self.errors.close()


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium driven by Playwright (which downloads no browser of its own here)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
