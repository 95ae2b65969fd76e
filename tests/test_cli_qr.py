"""`token create --qr` and `--qr-png`: the token as a QR code for a badge, scanned at the screens' sign-in."""

from __future__ import annotations

import stat

import zxingcpp
from PIL import Image

from kiosk_tickets.cli import main


def init(capsys, data_dir) -> None:
    assert main(["--data-dir", str(data_dir), "init", "--organizer", "acme", "--name", "ACME"]) == 0
    capsys.readouterr()


def create(data_dir, *options: str) -> int:
    return main(["--data-dir", str(data_dir), "token", "create", "--organizer", "acme", "--scope", "checkin", *options])


def test_qr_in_the_terminal_and_the_token_still_last(capsys, data_dir):
    init(capsys, data_dir)
    assert create(data_dir, "--qr") == 0
    lines = capsys.readouterr().out.splitlines()
    token = lines[-1]
    assert len(token) == 64
    drawing = lines[:-2]
    assert len(drawing) > 10 and any("█" in line or "▀" in line or "▄" in line for line in drawing)


def test_qr_png_holds_the_token_and_only_its_owner_reads_it(capsys, data_dir, tmp_path):
    init(capsys, data_dir)
    png = tmp_path / "badge.png"
    assert create(data_dir, "--qr-png", str(png)) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert [code.text for code in zxingcpp.read_barcodes(Image.open(png))] == [token]
    assert stat.S_IMODE(png.stat().st_mode) == 0o600


def test_unwritable_png_is_a_sentence_and_makes_no_token(capsys, data_dir, tmp_path):
    init(capsys, data_dir)
    assert create(data_dir, "--qr-png", str(tmp_path / "missing" / "badge.png")) == 2
    assert capsys.readouterr().err == (
        f"error: the PNG file {tmp_path / 'missing' / 'badge.png'} cannot be written: No such file or directory.\n"
    )
    assert create(data_dir, "--qr-png", str(tmp_path)) == 2
    assert capsys.readouterr().err == f"error: the PNG file {tmp_path} is a directory; name a file.\n"
    assert main(["--data-dir", str(data_dir), "token", "list"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # the header and the init token


def test_help_tells_both_options(capsys):
    try:
        main(["token", "create", "--help"])
    except SystemExit:
        pass
    text = capsys.readouterr().out
    assert "--qr " in text and "--qr-png PATH" in text
