"""A real pretix for tests that sync with a central pretix: installed by install_pretix.sh into .venv-pretix/,
run on SQLite with Celery eager, no Redis, mail written to files instead of sent, served by waitress on 127.0.0.1.

Migrating a fresh SQLite database takes pretix well over a minute, so the migrated database is made once per pretix
version (a template beside the venv) and each server starts on a copy of it.

Runs under the project's venv and under pretix's own (stdlib and requests only):
`.venv-pretix/bin/python tests/central/pretix_server.py template` makes the template ahead of the tests."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
PRETIX_VENV = REPO_ROOT / ".venv-pretix"
PRETIX_PYTHON = PRETIX_VENV / "bin" / "python"
TEMPLATE_DIR = PRETIX_VENV / "templates"
SETTINGS_MODULE = "central_pretix_settings"
MIGRATE_TIMEOUT = 600.0
COMMAND_TIMEOUT = 120.0
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

# pretix reads mail settings from pretix.cfg but always sends through SMTP; this module keeps its settings and
# writes each mail to a file in the data directory instead.
SETTINGS = """from pretix.settings import *  # noqa: F401,F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = {mail_dir!r}
"""

# Run by `python -m pretix shell`: the organizer, a team allowed everything on all its events, and its API token.
SETUP_ORGANIZER = """
import os
from django_scopes import scopes_disabled
from pretix.base.models import Organizer, Team

with scopes_disabled():
    organizer = Organizer.objects.create(slug=os.environ["CENTRAL_ORGANIZER"], name=os.environ["CENTRAL_NAME"])
    team = Team.objects.create(
        organizer=organizer,
        name="Box office sync",
        all_events=True,
        all_event_permissions=True,
        all_organizer_permissions=True,
    )
    team.tokens.create(name="box office", token=os.environ["CENTRAL_TOKEN"])
"""


class PretixError(RuntimeError):
    """pretix could not be set up or started; the message carries the end of its output."""


def installed() -> bool:
    """Whether install_pretix.sh has made .venv-pretix/ with pretix and waitress in it."""
    has_waitress = any(PRETIX_VENV.glob("lib/python*/site-packages/waitress-*.dist-info"))
    return PRETIX_PYTHON.exists() and has_waitress and pretix_version() is not None


def pretix_version() -> str | None:
    """The pretix version installed in .venv-pretix/, from its dist-info folder."""
    found = sorted(PRETIX_VENV.glob("lib/python*/site-packages/pretix-*.dist-info"))
    return found[-1].name.removeprefix("pretix-").removesuffix(".dist-info") if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(data_dir: Path, port: int) -> Path:
    """pretix.cfg and the settings module for a pretix keeping everything in `data_dir`; returns the cfg's path."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "mail").mkdir(exist_ok=True)
    config = data_dir / "pretix.cfg"
    config.write_text(
        "[pretix]\n"
        "instance_name=central pretix\n"
        f"url=http://127.0.0.1:{port}\n"
        f"datadir={data_dir}\n"
        "currency=EUR\n"
        "ecb_rates=false\n"
        "[database]\n"
        "backend=sqlite3\n"
        f"name={data_dir / 'db.sqlite3'}\n"
        "[django]\n"
        "debug=false\n"
        "[mail]\n"
        "from=central@example.org\n"
        "host=127.0.0.1\n"
        # The discard port, should anything get past the file backend: nothing listens there.
        "port=9\n"
        "[locale]\n"
        "timezone=UTC\n"
    )
    # No [celery] section: pretix then runs its tasks eagerly in the request. No [redis]: a dummy cache.
    (data_dir / f"{SETTINGS_MODULE}.py").write_text(SETTINGS.format(mail_dir=str(data_dir / "mail")))
    return config


def pretix_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PRETIX_", "PYTHON"))}
    env.update(
        PRETIX_CONFIG_FILE=str(data_dir / "pretix.cfg"),
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        PYTHONPATH=str(data_dir),
        **extra,
    )
    return env


def run_pretix(data_dir: Path, *args: str, timeout: float = COMMAND_TIMEOUT, **env: str) -> str:
    """`python -m pretix ARGS` on `data_dir`; returns its output, raises PretixError with it on failure."""
    try:
        result = subprocess.run(
            [str(PRETIX_PYTHON), "-m", "pretix", *args],
            cwd=data_dir,
            env=pretix_env(data_dir, **env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        raise PretixError(f"pretix {args[0]} took over {timeout:.0f} s") from error
    if result.returncode != 0:
        raise PretixError(f"pretix {args[0]} failed ({result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")
    return result.stdout


def template_database() -> Path:
    """The migrated database of the installed pretix version, made on first use (once, under a file lock)."""
    version = pretix_version()
    if version is None:
        raise PretixError(f"no pretix in {PRETIX_VENV}: run tests/central/install_pretix.sh")
    template = TEMPLATE_DIR / f"pretix-{version}.sqlite3"
    if template.exists():
        return template
    TEMPLATE_DIR.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATE_DIR / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            with tempfile.TemporaryDirectory(dir=TEMPLATE_DIR) as work:
                work_dir = Path(work)
                write_config(work_dir, free_port())
                run_pretix(work_dir, "migrate", "--no-input", timeout=MIGRATE_TIMEOUT)
                os.replace(work_dir / "db.sqlite3", template)
    return template


@dataclass(frozen=True)
class CentralEvent:
    """An event on the central pretix as an organizer sets it up: one admission product in one quota, one list."""

    slug: str
    item: int
    quota: int
    checkin_list: int


class PretixServer:
    """A real pretix on `data_dir`, with one organizer and a token of a team allowed everything.

    stop() ends exactly the process it started. Usable as a context manager."""

    def __init__(self, data_dir: Path, organizer: str = "central") -> None:
        if not installed():
            raise PretixError(f"no pretix in {PRETIX_VENV}: run tests/central/install_pretix.sh")
        self.data_dir = data_dir
        self.organizer = organizer
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(32)
        self.timings: dict[str, float] = {}
        self.process: subprocess.Popen[bytes] | None = None
        self.log: BinaryIO | None = None
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {self.token}"
        try:
            self._set_up()
        except BaseException:
            self.stop()
            raise

    def _set_up(self) -> None:
        data_dir = self.data_dir
        started = time.monotonic()
        template = template_database()
        self.timings["template"] = time.monotonic() - started
        write_config(data_dir, self.port)
        # The template is per pretix version, so the copy needs no `migrate` (a no-op run of it takes seconds).
        shutil.copyfile(template, data_dir / "db.sqlite3")
        mark = time.monotonic()
        run_pretix(
            data_dir,
            "shell",
            "--no-imports",
            "-c",
            SETUP_ORGANIZER,
            CENTRAL_ORGANIZER=self.organizer,
            CENTRAL_NAME=self.organizer.title(),
            CENTRAL_TOKEN=self.token,
        )
        self.timings["organizer"] = time.monotonic() - mark
        mark = time.monotonic()
        self._start()
        self.timings["serve"] = time.monotonic() - mark
        self.timings["total"] = time.monotonic() - started

    def _start(self) -> None:
        # A file, not a pipe: a pipe nobody reads fills up with the request log and stalls the server.
        self.log = open(self.data_dir / "server.log", "wb")  # closed by stop()
        self.process = subprocess.Popen(
            [
                str(PRETIX_PYTHON),
                "-m",
                "waitress",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--threads",
                "4",
                "pretix.wsgi:application",
            ],
            cwd=self.data_dir,
            env=pretix_env(self.data_dir),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PretixError(f"pretix exited ({self.process.returncode}):\n{self.server_log()[-4000:]}")
            try:
                if self.session.get(f"{self.url}/api/v1/organizers/", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)  # a real process starting up
        raise PretixError(f"pretix did not answer within {READY_TIMEOUT:.0f} s:\n{self.server_log()[-4000:]}")

    def server_log(self) -> str:
        return (self.data_dir / "server.log").read_text(errors="replace")

    @property
    def organizer_url(self) -> str:
        """The organizer's API root, ending in a slash."""
        return f"{self.url}/api/v1/organizers/{self.organizer}/"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A call with the team token; `path` is relative to the organizer's API root (e.g. "events/")."""
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.organizer_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def stop(self) -> None:
        """End the server process this object started (by its pid) and close the log and the HTTP session."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        if self.log is not None:
            self.log.close()
        self.session.close()

    def __enter__(self) -> PretixServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def created(response: requests.Response) -> dict[str, Any]:
    """The body of a 201 answer; anything else raises with the status and body."""
    if response.status_code != 201:
        raise PretixError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


def create_event(
    server: PretixServer,
    slug: str,
    *,
    quota_size: int = 100,
    price: str = "10.00",
    date_from: str = "2027-05-01T19:00:00Z",
) -> CentralEvent:
    """An event with one admission product (not personalized), one quota holding it and a check-in list for all
    products, created through the REST API as an organizer would."""
    created(
        server.post(
            "events/",
            json={"name": {"en": slug.title()}, "slug": slug, "date_from": date_from, "currency": "EUR"},
        )
    )
    item = created(
        server.post(
            f"events/{slug}/items/",
            json={"name": {"en": "Admission"}, "default_price": price, "admission": True, "personalized": False},
        )
    )
    quota = created(
        server.post(f"events/{slug}/quotas/", json={"name": "Admission", "size": quota_size, "items": [item["id"]]})
    )
    checkin_list = created(server.post(f"events/{slug}/checkinlists/", json={"name": "Entrance", "all_products": True}))
    return CentralEvent(slug=slug, item=item["id"], quota=quota["id"], checkin_list=checkin_list["id"])


def main(argv: list[str]) -> int:
    """`template`: make the migrated template database of the installed pretix, if it is not there yet."""
    if argv != ["template"]:
        print("usage: pretix_server.py template", file=sys.stderr)
        return 2
    started = time.monotonic()
    template = template_database()
    print(f"{template.relative_to(REPO_ROOT)} ready in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
