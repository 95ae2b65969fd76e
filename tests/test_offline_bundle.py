"""The offline install bundle: built for this machine, installed with the package registry out of reach, served."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest
import requests

from tests.servers import READY_TIMEOUT, free_port

BUILDER = Path(__file__).resolve().parent.parent / "packaging" / "build_offline_bundle.py"
# A port nothing listens on: an index or proxy there refuses every connection at once.
CLOSED = "http://127.0.0.1:9"


def builder():
    spec = importlib.util.spec_from_file_location("build_offline_bundle", BUILDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_pi_bundle_takes_pure_python_and_aarch64_wheels_only(tmp_path):
    names = [
        "flask-3.1.3-py3-none-any.whl",
        "cryptography-50.0.2-cp311-abi3-manylinux_2_34_aarch64.whl",
        "cffi-2.1.1-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        "pillow-13.0.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
        "markupsafe-3.0.4-cp311-cp311-musllinux_1_2_aarch64.whl",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert builder().platform_mismatches(tmp_path) == [
        "markupsafe-3.0.4-cp311-cp311-musllinux_1_2_aarch64.whl",
        "pillow-13.0.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
    ]


def offline_environment(tmp_path: Path) -> dict[str, str]:
    """This environment with every way to the package registry closed: index, extra links, proxies, config."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PIP_") and key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    return {
        **environ,
        "PIP_CONFIG_FILE": os.devnull,  # no pip.conf with extra indexes or find-links
        "PIP_INDEX_URL": f"{CLOSED}/simple/",
        "PIP_CACHE_DIR": str(tmp_path / "empty-pip-cache"),
        **{name: CLOSED for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY")},
    }


def network_cut_off() -> list[str]:
    """A command prefix that runs a program with no network at all (a namespace of its own), where one may."""
    try:
        unshared = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return ["unshare", "--net"] if unshared.returncode == 0 else []


def wait_until_serving(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)  # a real process starting up: there is no clock to move
    raise AssertionError("the server did not start in time")


@pytest.mark.slow
def test_the_bundle_for_this_machine_installs_without_the_registry_and_serves(tmp_path, request):
    version = metadata.version("kiosk-tickets")
    building = {**os.environ, "PIP_CACHE_DIR": str(tmp_path / "pip-cache")}  # nothing cached outside tmp_path
    built = subprocess.run(
        [sys.executable, str(BUILDER), "--target", "here", "--output", str(tmp_path / "out"), "--no-tarball"],
        capture_output=True, text=True, env=building, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (bundle,) = (tmp_path / "out").iterdir()
    assert sorted(path.name for path in bundle.iterdir()) == [
        "README.md",
        "install.sh",
        "kiosk-tickets.service",
        "wheels",
    ]
    assert "  kiosk-tickets " + version in built.stdout

    offline = offline_environment(tmp_path)
    venv = tmp_path / "box" / ".venv"
    installed = subprocess.run(
        [*network_cut_off(), "sh", str(bundle / "install.sh"), str(venv)],
        capture_output=True, text=True, env={**offline, "PYTHON": sys.executable}, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert installed.stdout == (
        f"kiosk-tickets {version}\nInstalled into {venv}. Next steps: see README.md beside this script.\n"
    )

    command = str(venv / "bin" / "kiosk-tickets")
    shown = subprocess.run([command, "--version"], capture_output=True, text=True, cwd=tmp_path, env=offline)
    assert (shown.returncode, shown.stdout) == (0, f"kiosk-tickets {version}\n")
    # The package runs from the box's venv, not from this checkout.
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import kiosk_tickets; print(kiosk_tickets.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env=offline,
    )  # fmt: skip
    assert where.stdout.startswith(str(venv)), where.stdout

    data = ["--data-dir", str(tmp_path / "data")]
    demo = subprocess.run([command, *data, "demo"], capture_output=True, text=True, cwd=tmp_path, env=offline)
    token = demo.stdout.splitlines()[-1]
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    request.addfinalizer(log.close)
    server = subprocess.Popen(
        [command, *data, "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=log, cwd=tmp_path, env=offline,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(server, url + "/api/v1/")
        events = requests.get(
            url + "/api/v1/organizers/demo/events/?page=1", headers={"Authorization": f"Token {token}"}, timeout=10
        )
        assert events.status_code == 200
        assert [event["slug"] for event in events.json()["results"]] == ["festival"]
        pattern = (
            r"127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
            r'"GET /api/v1/organizers/demo/events/\?page=1 HTTP/1\.1" 200 ' + str(len(events.content))
        )
        # The line is written once the server has closed the response, which may be just after the client read it.
        deadline = time.monotonic() + 10
        while True:
            log.seek(0)
            lines = log.read().splitlines()
            if any(re.fullmatch(pattern, line) for line in lines) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert [line for line in lines if re.fullmatch(pattern, line)], lines
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert token not in "\n".join(lines)
