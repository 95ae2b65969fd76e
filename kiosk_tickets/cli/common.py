"""What every command shares: the user's mistakes as CommandError, the guarded clock, the configuration, the store."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import load_config
from ..errors import ValidationFailed
from ..services import clock_guard
from ..store import SNAPSHOT_NAME, Store, Transaction

log = logging.getLogger("kiosk_tickets.cli")


class CommandError(Exception):
    """A mistake of the user, told as one sentence; the command changed nothing."""


def system_now() -> datetime:
    return datetime.now(UTC)


def now(tx: Transaction) -> datetime:
    """The current time for a command's transaction: the system clock, guarded (see services.clock_guard)."""
    return clock_guard.now(tx, system_now())


def clock(store_of: Callable[[], Store]) -> Callable[[], datetime]:
    """The guarded clock over the store `store_of` gives, for code that opens its own transactions."""
    return clock_guard.guarded_clock(store_of, system_now)


def read_config(args: argparse.Namespace) -> dict[str, Any]:
    try:
        return load_config({"DATA_DIR": args.data_dir} if args.data_dir else None)
    except OSError as error:
        raise CommandError(f"the configuration file {error.filename} cannot be read: {error.strerror}.") from error
    except ValueError as error:
        raise CommandError(f"the configuration cannot be read: {error}.") from error


def open_store(args: argparse.Namespace, create: bool = False) -> Store:
    """The store of the data directory; unless `create`, the directory must already hold one."""
    config = read_config(args)
    data_dir = Path(config["DATA_DIR"])
    if data_dir.exists() and not data_dir.is_dir():
        raise CommandError(f"the data directory {data_dir} is not a directory.")
    if not create and not (data_dir / SNAPSHOT_NAME).is_file():
        state = "does not exist" if not data_dir.exists() else "holds no kiosk-tickets store"
        raise CommandError(
            f"the data directory {data_dir} {state}; pass the right --data-dir, or create a store with `init`."
        )
    try:
        return Store(data_dir, lock_timeout=float(config["LOCK_TIMEOUT"]))
    except OSError as error:
        raise CommandError(f"the data directory {data_dir} cannot be used: {error.strerror}.") from error


def require_organizer(tx: Transaction, slug: str) -> None:
    if tx.find_one("organizers", slug=slug) is None:
        raise ValidationFailed.field("organizer", f'Organizer "{slug}" does not exist.')


def progress_bar(total: int, unit: str, description: str) -> Any:
    from tqdm import tqdm

    # On a terminal a bar; in logs and pipes nothing, so scripts read only the summary lines.
    return tqdm(total=total, unit=unit, unit_scale=True, desc=description, disable=not sys.stderr.isatty())


