"""`kiosk-tickets device`: the pairing handshake for a scanning app, the list of devices, revoking one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk_tickets import pairing
from kiosk_tickets.cli import main


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def data_dir(tmp_path, capsys) -> str:
    path = str(tmp_path / "data")
    assert cli(capsys, "--data-dir", path, "demo")[0] == 0
    return path


def test_create_prints_the_handshake_as_json_and_qr_and_writes_a_private_png(capsys, data_dir, tmp_path):
    png = tmp_path / "door.png"
    code, out, err = cli(
        capsys, "--data-dir", data_dir, "device", "create", "--organizer", "demo", "--name", "Door 1",
        "--url", "http://192.168.1.10:8000/", "--qr-png", str(png),
    )
    assert (code, err) == (0, "")
    handshake = json.loads(out.splitlines()[-1])
    assert handshake["url"] == "http://192.168.1.10:8000" and handshake["handshake_version"] == 1
    assert len(handshake["token"]) == 16 and handshake["token"].isalnum()
    assert "█" in out  # the QR code drawn in the terminal
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_mode & 0o777 == 0o600


def test_the_url_devices_get_is_never_loopback_unless_asked(capsys, data_dir):
    code, out, err = cli(
        capsys, "--data-dir", data_dir, "device", "create", "--organizer", "demo", "--name", "Door",
        "--url", "http://127.0.0.1:8000",
    )
    assert (code, out) == (2, "")
    assert err == (
        "error: the URL 'http://127.0.0.1:8000' points at the device itself, not at this box; give the box's LAN "
        "address (or pass --allow-loopback for a scanner running on this machine).\n"
    )
    assert cli(capsys, "--data-dir", data_dir, "device", "list", "--organizer", "demo")[1].count("\n") == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("192.168.1.10:8000", "is not an http:// or https:// address such as http://192.168.1.10:8000."),
        ("http://192.168.1.10:8000/kiosk", "has a path; the scanning apps need the server at the host's root."),
    ],
)
def test_urls_the_apps_cannot_use_are_refused(url, problem):
    with pytest.raises(pairing.PairingError) as refused:
        pairing.server_url(url, 8000)
    assert str(refused.value) == f"the URL {url!r} {problem}"


def test_a_detected_address_is_not_loopback():
    url = pairing.server_url(None, 8123)
    assert url.startswith("http://") and url.endswith(":8123") and "127.0.0.1" not in url


def test_list_and_revoke(capsys, data_dir, tmp_path):
    for name in ("Door 1", "Door 2"):
        cli(
            capsys, "--data-dir", data_dir, "device", "create", "--organizer", "demo", "--name", name,
            "--events", "festival", "--url", "http://10.0.0.2:8000", "--qr-png", str(tmp_path / f"{name}.png"),
        )
    assert cli(capsys, "--data-dir", data_dir, "device", "revoke", "--organizer", "demo", "2") == (
        0, "Device 2 revoked.\n", "",
    )
    assert cli(capsys, "--data-dir", data_dir, "device", "revoke", "--organizer", "demo", "2")[1] == (
        "Device 2 was already revoked.\n"
    )
    code, out, _ = cli(capsys, "--data-dir", data_dir, "device", "list", "--organizer", "demo")
    rows = [line.split("\t")[:5] for line in out.splitlines()]
    assert rows == [
        ["ID", "NAME", "STATE", "EVENTS", "SOFTWARE"],
        ["1", "Door 1", "waiting", "festival", ""],
        ["2", "Door 2", "revoked", "festival", ""],
    ]


def test_mistakes_are_one_sentence(capsys, data_dir):
    assert cli(capsys, "--data-dir", data_dir, "device", "list", "--organizer", "nobody")[2] == (
        'error: organizer: Organizer "nobody" does not exist.\n'
    )
    code, _, err = cli(
        capsys, "--data-dir", data_dir, "device", "create", "--organizer", "demo", "--name", "X",
        "--events", "nosuch", "--url", "http://10.0.0.2:8000", "--qr-png", str(Path(data_dir).parent / "x.png"),
    )
    assert (code, err) == (2, "error: limit_events: Object with slug=nosuch does not exist.\n")
    assert cli(capsys, "--data-dir", data_dir, "device", "revoke", "--organizer", "demo", "9")[2] == (
        "error: demo has no device 9; `device list` shows them.\n"
    )
