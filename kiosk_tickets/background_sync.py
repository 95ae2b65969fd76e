"""Sync while serving: every few minutes, push then pull each event this box pulled from a central.

It runs beside the server in a thread of its own and never stops the box: a central out of reach is a warning
in the log, and the box keeps selling and scanning on its own data until the next round finds the network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .central import Central
from .pull import PullFailed, pull
from .push import SyncFailed, push
from .services import sync
from .store import Store

log = logging.getLogger("kiosk_tickets.sync")
# Each round says what it did: the log (journald under systemd) is where an operator looks for the last sync.
log.setLevel(logging.INFO)


class _NoBar:
    """Progress of a pull nobody watches."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class BackgroundSync:
    """Push then pull every event of the store's `sync_state`, every `interval` seconds, until stopped."""

    open_store: Callable[[], Store]
    token: str
    interval: float
    sales_channel: str
    payment_provider: str | None
    now: Callable[[], datetime]

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kiosk-tickets sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self) -> None:
        """One round: each pulled event pushed, then pulled; what fails is logged and left for the next round."""
        store = self.open_store()
        with store.transaction() as tx:
            states = [dict(doc) for doc in tx.all(sync.SYNC_TABLE)]
        for state in states:
            name = f"{state['organizer']}/{state['event_slug']}"
            central = Central(state["central"], self.token, state["organizer"])
            try:
                pushed = push(store, central, state["event_slug"], self.sales_channel, self.now, self.payment_provider)
                pulled = pull(lambda: store, central, [state["event_slug"]], self.now, lambda *_: _NoBar())
            except (SyncFailed, PullFailed, sync.PullRefused) as error:
                log.warning("sync of %s with %s did not finish: %s", name, central.url, error)
                continue
            except Exception:  # a round that fails for any reason must not end the thread: the next may work
                log.exception("sync of %s with %s failed", name, central.url)
                continue
            log.info(
                "synced %s with %s: pushed %d order(s), %d check-in(s), %d cancellation(s); pulled %d order(s)",
                name, central.url, pushed.orders, pushed.checkins, pushed.cancellations,
                sum(report.orders for report in pulled),
            )
            for problem in pushed.problems:
                log.warning("not pushed: %s", problem)
