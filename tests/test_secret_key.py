"""The key that signs sessions: made once per data directory at init, private to its owner, shared by servers."""

from __future__ import annotations

import stat

from kiosk_tickets import create_app
from kiosk_tickets.cli import main


def test_init_makes_a_private_key_that_every_app_on_the_directory_uses(tmp_path, capsys):
    data_dir = tmp_path / "data"

    assert main(["--data-dir", str(data_dir), "init", "--organizer", "org", "--name", "Org"]) == 0

    key_file = data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64
    first, second = create_app({"DATA_DIR": str(data_dir)}), create_app({"DATA_DIR": str(data_dir)})
    assert first.secret_key == second.secret_key == key


def test_a_configured_key_wins_and_a_directory_without_one_gets_one(tmp_path):
    assert create_app({"DATA_DIR": str(tmp_path / "a"), "SECRET_KEY": "given"}).secret_key == "given"
    made = create_app({"DATA_DIR": str(tmp_path / "b")}).secret_key
    assert made == (tmp_path / "b" / "secret_key").read_text().strip()
