"""Secrets as QR codes: a token for a badge scanned at the screens' sign-in, a device's pairing handshake."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TextIO


class BadgeNotWritten(Exception):
    """The PNG could not be written; the message says why, as a sentence."""


def _code(token: str) -> Any:
    import segno  # here, not at the top: its writers cost `serve` some 10 ms of start-up

    return segno.make(token, error="m")


def print_terminal(token: str, out: TextIO) -> None:
    """Draw the code with block characters, to scan it off the screen or print it."""
    _code(token).terminal(out=out, compact=True)


def write_png(token: str, path: Path) -> None:
    """Write the code as a PNG only its owner may read: it holds a credential in clear text."""
    if path.is_dir():
        raise BadgeNotWritten(f"the PNG file {path} is a directory; name a file.")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as png:
            _code(token).save(png, kind="png", scale=10, border=4)
    except OSError as error:
        raise BadgeNotWritten(f"the PNG file {path} cannot be written: {error.strerror}.") from error
