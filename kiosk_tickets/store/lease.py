"""The data directory's file lock, held by a busy process across transactions and handed over in turns."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import filelock

from ..errors import StoreBusy


class FileLockLease:
    """The data directory's file lock, kept for this process across transactions by one keeper thread.

    Taking and giving up a `filelock.FileLock` costs about 0.1 ms, as much as the rest of a small
    write. So the lock stays with a busy process: the keeper gives it up once no transaction has run
    for `linger` seconds, or, after holding it `max_hold` seconds, at the end of the running
    transaction; then it sits out two of the other processes' polls (every `linger / 5`), so they get
    their turn. Only the keeper thread takes and gives up the lock, as filelock's thread-local locks
    require.
    """

    def __init__(self, path: Path, linger: float, max_hold: float) -> None:
        self._file_lock = filelock.FileLock(str(path))
        self._linger = linger
        self._max_hold = max_hold
        self._poll_interval = linger / 5
        self._changed = threading.Condition()
        self._keeper: threading.Thread | None = None
        self._error: BaseException | None = None
        self._held = False
        self._wanted = False
        self._in_use = False
        self._must_yield = False
        self._closing = False
        self._last_used = 0.0
        self._acquisitions = 0

    def enter(self, deadline: float) -> int:
        """Wait until the lock is held for a transaction; return a number that changes with every acquisition.

        One transaction at a time may have entered. Raises StoreBusy if the lock is not held by
        `deadline` (a `time.monotonic()` value), or what taking the lock raised.
        """
        with self._changed:
            while not self._held or self._must_yield:
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._wanted = False
                    raise StoreBusy()
                self._wanted = True
                if self._keeper is None:
                    self._keeper = threading.Thread(target=self._keep, name="kiosk-tickets file lock", daemon=True)
                    self._keeper.start()
                self._changed.wait(remaining)
            self._in_use = True
            return self._acquisitions

    def leave(self) -> None:
        """The transaction that entered has ended."""
        with self._changed:
            self._in_use = False
            self._last_used = time.monotonic()
            if self._must_yield:
                self._changed.notify_all()

    def close(self) -> None:
        """Give the lock up now; a later `enter` takes it again."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
            keeper = self._keeper
        if keeper is not None:
            keeper.join()
        with self._changed:
            self._closing = False

    def _keep(self) -> None:
        while self._acquire():
            with self._changed:
                self._held = True
                self._wanted = False
                self._acquisitions += 1
                taken = self._last_used = time.monotonic()
                self._changed.notify_all()
                while not self._closing:
                    moment = time.monotonic()
                    if moment - taken >= self._max_hold:
                        self._must_yield = True
                    if not self._in_use and (self._must_yield or moment - self._last_used >= self._linger):
                        break
                    if self._must_yield:
                        self._changed.wait()  # leave() wakes us
                    elif self._in_use:
                        self._changed.wait(self._linger)
                    else:
                        self._changed.wait(min(self._last_used + self._linger, taken + self._max_hold) - moment)
                self._held = False
            self._file_lock.release()
            with self._changed:
                if self._must_yield:
                    # Sit out two polls of a waiting process, however often a transaction of ours wakes us.
                    until = time.monotonic() + 2 * self._poll_interval
                    while not self._closing and (remaining := until - time.monotonic()) > 0:
                        self._changed.wait(remaining)
                    self._must_yield = False
                    self._changed.notify_all()

    def _acquire(self) -> bool:
        """Take the file lock for a waiting transaction; return False once none waits (the keeper ends)."""
        while True:
            with self._changed:
                if not self._wanted or self._closing:
                    self._keeper = None
                    return False
            try:
                self._file_lock.acquire(timeout=self._linger, poll_interval=self._poll_interval)
                return True
            except filelock.Timeout:
                continue
            except BaseException as error:
                with self._changed:
                    self._error = error
                    self._keeper = None
                    self._changed.notify_all()
                return False
