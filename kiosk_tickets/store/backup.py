"""Whole images of a store: backup, restore and verification, through `Store`'s public methods."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .database import Store
from .files import LOCK_NAME, copy_file, fsync_dir


def image_size(store: Store) -> int:
    """Return the bytes a backup of `store` taken now would copy (the store may grow before it is taken)."""
    with store.transaction():
        return sum(path.stat().st_size if length is None else length for path, length in store.committed_files())


def backup(store: Store, destination: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> int:
    """Copy a consistent image of `store` into the new directory `destination`; return the bytes copied.

    The lock is held while copying, so the image is a committed state; the copy is a data directory
    of its own (snapshot plus journal) and is fsynced before this returns.
    """
    target = Path(destination)
    target.mkdir(parents=True, exist_ok=False)
    copied = 0
    with store.transaction():
        for source, length in store.committed_files():
            copied += copy_file(source, target / source.name, length, progress)
    fsync_dir(target)
    return copied


def restore(store: Store, source: str | os.PathLike[str]) -> dict[str, int]:
    """Replace the whole database of `store` with the image in `source` (a backup or data directory).

    The image is read and checked first; then, under the lock, it becomes the next snapshot, so
    running servers on this directory switch to it at their next request. Returns documents per table.
    Raises StoreCorrupt if the image cannot be read.
    """
    with tempfile.TemporaryDirectory() as scratch:
        # Open a copy: reading an image may truncate a torn journal tail, and the source stays untouched.
        copy = Path(scratch) / "image"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(LOCK_NAME))
        image = Store(copy, strict=True)
        with image.transaction():
            tables, next_ids = image.contents()
        image.close()
        with store.transaction():
            store.replace_contents(tables, next_ids)
        return {name: len(docs) for name, docs in tables.items()}


def table_sizes(store: Store) -> dict[str, int]:
    """Return the number of documents per table, after reading every record (so damage raises here)."""
    with store.transaction():
        tables, _ = store.contents()
        return {name: len(docs) for name, docs in sorted(tables.items())}
