"""The kiosk-tickets command: init, demo, token, device, serve, pull, allot, push, backup, restore, check, secret.

A mistake of the user (a wrong path, an unknown organizer or token, a directory that is no backup) ends
in one or more `error: …` sentences on stderr and exit code 2, never in a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import KioskError, StoreBusy, ValidationFailed
from .common import CommandError
from .parser import build_parser
from .store_commands import CHECK_LEGEND

__all__ = ["CHECK_LEGEND", "CommandError", "build_parser", "main"]


def _validation_lines(detail: Any, field: str = "") -> Iterator[str]:
    """`field: message` lines for a ValidationFailed body (nested fields joined with dots)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = field if key == "non_field_errors" else f"{field}.{key}" if field else str(key)
            yield from _validation_lines(value, name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _validation_lines(value, f"{field}[{index}]" if field else str(index))
            else:
                yield from _validation_lines(value, field)
    else:
        yield f"{field}: {detail}" if field else str(detail)


def _messages(error: BaseException) -> list[str]:
    if isinstance(error, CommandError):
        return [str(error)]
    if isinstance(error, ValidationFailed):
        return list(_validation_lines(error.detail))
    if isinstance(error, StoreBusy):
        return ["the store is busy: another process held its lock for too long; try again."]
    if isinstance(error, KioskError):
        return [str(error.detail)]
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return [f"{where}{error.strerror or error}."]
    raise error


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, KioskError, OSError) as error:
        for line in _messages(error):
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
