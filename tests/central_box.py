"""A box and a central, both kiosk-tickets servers, driven through their APIs and the box's command line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.servers import Server, run_cli

ORGANIZER, EVENT = "demo", "festival"
API = f"/api/v1/organizers/{ORGANIZER}"


class Api:
    """A server's API for the demo organizer, with a token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def get(self, path: str, **params: str) -> dict:
        answer = self.session.get(f"{self.url}{API}{path}", params=params, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def everything(self, path: str, **params: str) -> list[dict]:
        page = self.get(path, **params)
        results = page["results"]
        while page["next"]:
            page = self.session.get(page["next"], timeout=30).json()
            results += page["results"]
        return results

    def post(self, path: str, body: dict) -> requests.Response:
        return self.session.post(f"{self.url}{API}{path}", json=body, timeout=30)

    def order(self, body: dict) -> dict:
        answer = self.post(f"/events/{EVENT}/orders/", body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def redeem(self, secret: str) -> tuple[int, dict]:
        answer = self.post("/checkinrpc/redeem/", {"secret": secret, "lists": [1]})
        return answer.status_code, answer.json()


def wait_until_catalog_settles(api: Api) -> None:
    """Return once the central answers its catalog lists' Last-Modified with 304.

    It sends a date that can answer 304 only once the second of the last catalog change is over (see
    `conditional_list`); a test counting 304s starts after that. A real process: there is no clock to move.
    """
    url = f"{api.url}{API}/events/{EVENT}/categories/"
    deadline = time.monotonic() + 10
    while True:
        stamp = api.session.get(url, timeout=30).headers["Last-Modified"]
        if api.session.get(url, headers={"If-Modified-Since": stamp}, timeout=30).status_code == 304:
            return
        assert time.monotonic() < deadline, "the central's catalog never settled"
        time.sleep(0.05)


def pull(box: Path, url: str, token: str, event: str = EVENT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk_tickets",
            "--data-dir",
            str(box),
            "pull",
            "--from",
            url,
            "--token",
            token,
            "--organizer",
            ORGANIZER,
            "--event",
            event,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def box_api(box: Path) -> tuple[Server, Api]:
    token = run_cli(box, "token", "create", "--organizer", ORGANIZER, "--scope", "admin").strip().splitlines()[-1]
    server = Server(box)
    return server, Api(server.url, token)
