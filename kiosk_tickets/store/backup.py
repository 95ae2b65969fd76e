"""Whole images of a store: backup, restore and verification, through `Store`'s public methods.

A backup is a directory holding the store's committed files (snapshot and journal) and, written last,
`backup.json`: the size and SHA-256 of each of them and the documents per table. A directory without
it, or whose files do not match it, is not restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import KioskError, StoreCorrupt
from .database import Store
from .files import SNAPSHOT_NAME, fsync_dir, write_file_atomically

MANIFEST_NAME = "backup.json"
MANIFEST_FORMAT = "kiosk-tickets backup"
MANIFEST_VERSION = 1


class BackupRefused(KioskError):
    """A backup cannot be written to, or restored from, the directory given; nothing was changed."""

    status_code = 400


@dataclass
class BackupImage:
    """A backup read and verified in full, ready to become a store's contents."""

    source: Path
    created: str
    tables: Mapping[str, Mapping[int, Any]]  # as `Store.contents` gives them: read-only views
    next_ids: dict[str, int]

    def sizes(self) -> dict[str, int]:
        return {name: len(docs) for name, docs in sorted(self.tables.items())}


def image_size(store: Store) -> int:
    """Return the bytes a backup of `store` taken now would copy (the store may grow before it is taken)."""
    with store.transaction():
        return sum(path.stat().st_size if length is None else length for path, length in store.committed_files())


def _copy_and_hash(
    source: Path, target: Path, length: int | None, progress: Callable[[int], None] | None
) -> tuple[int, str]:
    """Copy `length` bytes (all if None) of `source` to the new file `target` and fsync it; return size and SHA-256."""
    remaining = source.stat().st_size if length is None else length
    digest = hashlib.sha256()
    copied = 0
    with open(source, "rb") as reader, open(target, "xb") as writer:
        while remaining > 0:
            chunk = reader.read(min(remaining, 1024 * 1024))
            if not chunk:
                break
            writer.write(chunk)
            digest.update(chunk)
            copied += len(chunk)
            remaining -= len(chunk)
            if progress:
                progress(len(chunk))
        writer.flush()
        os.fsync(writer.fileno())
    return copied, digest.hexdigest()


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def backup(store: Store, destination: str | os.PathLike[str], progress: Callable[[int], None] | None = None) -> int:
    """Copy a consistent image of `store` into the new directory `destination`; return the bytes copied.

    The lock is held while copying, so the image is a committed state; the copy is a data directory
    of its own (snapshot plus journal) and is fsynced, with its manifest written last, before this
    returns. Raises BackupRefused if `destination` exists, lies inside the data directory or cannot
    be made; a backup that fails half-way is removed.
    """
    target = Path(destination)
    if target.exists() or target.is_symlink():
        raise BackupRefused(f"{target} already exists; a backup goes into a new directory.")
    if _inside(target.resolve(), store.data_dir.resolve()):
        raise BackupRefused(
            f"{target} is inside the data directory {store.data_dir}; a backup there would be lost with it."
        )
    try:
        target.mkdir(parents=True)
    except FileExistsError as error:
        raise BackupRefused(f"{target} already exists; a backup goes into a new directory.") from error
    except OSError as error:
        raise BackupRefused(f"{target} cannot be made: {error.strerror}.") from error
    try:
        files: list[dict[str, Any]] = []
        with store.transaction():
            tables, _ = store.contents()
            counts = {name: len(docs) for name, docs in sorted(tables.items())}
            for source, length in store.committed_files():
                size, sha256 = _copy_and_hash(source, target / source.name, length, progress)
                files.append({"name": source.name, "size": size, "sha256": sha256})
        fsync_dir(target)
        manifest = {
            "format": MANIFEST_FORMAT,
            "version": MANIFEST_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "data_dir": str(store.data_dir.resolve()),
            "files": files,
            "tables": counts,
        }
        # Written last, after the files are on disk: a backup with a manifest is complete.
        write_file_atomically(target / MANIFEST_NAME, json.dumps(manifest, indent=2).encode("utf-8"))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return sum(entry["size"] for entry in files)


def _listed_names(files: Any) -> list[str]:
    """The file names a manifest lists, or [] if its list of files is malformed (or names a path elsewhere)."""
    if not isinstance(files, list):
        return []
    for entry in files:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and entry["name"] == Path(entry["name"]).name
            and entry["name"] not in ("", ".", "..")
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
        ):
            return []
    return [entry["name"] for entry in files]


def _read_manifest(source: Path) -> dict[str, Any]:
    """Return the manifest of the backup in `source`; raise BackupRefused if there is none or it is malformed."""
    if not source.exists():
        raise BackupRefused(f"the backup directory {source} does not exist.")
    if not source.is_dir():
        raise BackupRefused(f"{source} is not a directory; a backup is a directory made by `kiosk-tickets backup`.")
    path = source / MANIFEST_NAME
    if not path.is_file():
        raise BackupRefused(
            f"{source} is not a backup: it has no {MANIFEST_NAME}, which `kiosk-tickets backup` writes last."
        )
    try:
        manifest = json.loads(path.read_bytes())
    except OSError as error:
        raise BackupRefused(f"{path} cannot be read: {error.strerror}.") from error
    except ValueError as error:
        raise BackupRefused(f"{path} is damaged: it is not valid JSON.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupRefused(f"{path} is not the manifest of a kiosk-tickets backup.")
    version = manifest.get("version")
    if not isinstance(version, int) or version > MANIFEST_VERSION:
        raise BackupRefused(f"{path} has version {version!r}; this program reads up to {MANIFEST_VERSION}.")
    names = _listed_names(manifest.get("files"))
    journals = [name for name in names if name.startswith("journal-") and name.endswith(".log")]
    if SNAPSHOT_NAME not in names or len(journals) != 1 or len(set(names)) != len(names):
        raise BackupRefused(f"{path} is damaged: it does not list one snapshot and one journal.")
    return manifest


def read_backup(source: str | os.PathLike[str]) -> BackupImage:
    """Read and verify the backup in `source`: its manifest, every file's size and checksum, every record.

    Only the files the manifest lists are read, and they are opened from a copy (reading an image may
    create files; the source stays untouched). Raises BackupRefused, naming what is wrong.
    """
    source = Path(source)
    manifest = _read_manifest(source)
    with tempfile.TemporaryDirectory(prefix="kiosk-tickets-restore-") as scratch:
        copy = Path(scratch) / "image"
        copy.mkdir()
        for entry in manifest["files"]:
            name = entry["name"]
            original = source / name
            if not original.is_file():
                raise BackupRefused(f"{source} is incomplete: {name} is missing.")
            try:
                size, sha256 = _copy_and_hash(original, copy / name, None, None)
            except OSError as error:
                raise BackupRefused(f"{original} cannot be read: {error.strerror}.") from error
            if size != entry["size"]:
                raise BackupRefused(
                    f"{source} is incomplete: {name} has {size} bytes, the backup wrote {entry['size']}."
                )
            if sha256 != entry["sha256"]:
                raise BackupRefused(f"{source} is damaged: {name} does not match the checksum the backup wrote.")
        listed = {entry["name"] for entry in manifest["files"]}
        image = Store(copy, strict=True)
        try:
            with image.transaction():
                tables, next_ids = image.contents()
        except (StoreCorrupt, KeyError, TypeError, ValueError) as error:
            detail = error.detail if isinstance(error, StoreCorrupt) else f"unexpected content ({error!r})"
            raise BackupRefused(f"{source} cannot be read: {detail}") from error
        finally:
            image.close()
        made = {path.name for path in copy.iterdir()} - listed - {".lock"}
        if made:
            # Opening the image made the journal its snapshot names: the backup does not hold it.
            raise BackupRefused(f"{source} is incomplete: its snapshot continues in {', '.join(sorted(made))}.")
    return BackupImage(source, str(manifest.get("created", "")), tables, dict(next_ids))


def restore(
    store: Store,
    source: str | os.PathLike[str] | BackupImage,
    confirm: Callable[[dict[str, int], BackupImage], bool] | None = None,
) -> dict[str, int] | None:
    """Replace the whole database of `store` with the backup in `source`; return documents per table.

    The backup is read and verified first (see `read_backup`; it raises BackupRefused). If the store
    holds any document, `confirm(current documents per table, image)` is asked next, outside the lock;
    if it answers False, nothing changes and None is returned. Then, under the lock, the image becomes
    the next snapshot, so running servers on this directory switch to it at their next request.
    """
    image = source if isinstance(source, BackupImage) else read_backup(source)
    if confirm is not None:
        current = table_sizes(store)
        if any(current.values()) and not confirm(current, image):
            return None
    with store.transaction():
        store.replace_contents(image.tables, image.next_ids)
    return image.sizes()


def table_sizes(store: Store) -> dict[str, int]:
    """Return the number of documents per table, after reading every record (so damage raises here)."""
    with store.transaction():
        tables, _ = store.contents()
        return {name: len(docs) for name, docs in sorted(tables.items())}


def set_aside_tails(store: Store) -> list[Path]:
    """Return the bytes a damaged journal left beside it (`journal-N.log.tail-OFFSET`), kept for an operator."""
    return sorted(store.data_dir.glob("journal-*.log.tail-*"))
