"""The clock guard: the time the services work with never falls behind the newest moment the store recorded.

A box without a battery-backed clock (a Raspberry Pi) that boots without network starts at a wrong, earlier
time. Taken as it is, that time would date new orders and check-ins before older ones, let carts expire at
once or hours late and move payment deadlines. So the services' "now" is the later of the system clock and
the newest moment stored: time stands still at that moment until the system clock passes it again, and
stored times never go backwards. A clock behind by more than `TOLERANCE` is told: a warning in the log when
it is first seen, the overview's banner and `kiosk-tickets check` (see `behind`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..isotime import format_datetime, parse_datetime
from ..store import Store, Transaction

log = logging.getLogger("kiosk_tickets.clock")
# That the clock caught up is news too, told at INFO: the log's default level would drop it.
log.setLevel(logging.INFO)

# The moments that say when something happened, written by this server's clock (or, for pulled data, by the
# central's): each is a lower bound of the true time. Not counted: moments that lie ahead by design (a
# cart's or order's `expires`, payment deadlines, event dates), and moments a client claims (a scan's
# `datetime`, sent by a phone that scanned offline; a print log's `datetime`): a phone whose clock runs ahead
# would otherwise drag this server's time ahead with it, for good. Each such write also sets a counted
# moment of this server's (a check-in's `created`, its order's `last_modified`).
RECORDED_MOMENTS: dict[str, tuple[str, ...]] = {
    "orders": ("datetime", "last_modified"),
    "checkins": ("created",),
    "printlogs": ("created",),
    "cartpositions": ("datetime",),
    "api_tokens": ("created",),
    "devices": ("created", "initialized"),
    "vouchers": ("created",),
    "idempotency_keys": ("created",),
    "events": ("catalog_modified",),
    "ticket_signing_keys": ("created",),
    "revoked_secrets": ("created",),
    "sync_state": ("last_pull",),
    "push_records": ("at",),
}

# A system clock behind the newest stored moment by no more than this is not told: a central whose clock
# runs a few seconds ahead of this box's would otherwise raise the alarm after every pull.
TOLERANCE = timedelta(minutes=1)

_VIEW = "newest_recorded_moment"


def _sort_key(value: Any) -> str | None:
    """`value` as `YYYY-MM-DDTHH:MM:SS.ffffff` in UTC, which sorts as text in time order; None if no moment.

    The form this server stores (`format_datetime`: UTC, a Z suffix) is rewritten without parsing: the view
    reads every counted moment when the store loads, some 100,000 of them on a big day.
    """
    if not isinstance(value, str):
        return None
    if value.endswith("Z") and len(value) in (20, 27) and value[10:11] == "T":
        return value[:19] + (value[19:26] if len(value) == 27 else ".000000")
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


class NewestRecordedMoment:
    """The newest moment of `RECORDED_MOMENTS` the store holds; a derived view the store keeps current.

    It only moves forward while the process runs: an undone write (its moment came from the guarded clock,
    so it is no later than the truth) or a deleted document (a cart turned into an order) does not take it
    back. A reload (a restore) computes it anew from what is stored.
    """

    def reset(self, tables: Mapping[str, Mapping[int, Mapping[str, Any]]]) -> None:
        self.newest_key = ""  # sorts before every moment
        self._parsed: tuple[str, datetime] | None = None  # (newest_key, that moment) as last parsed
        # Whether the log has been told that the clock is behind, so it is told once, not at every request.
        self.told_behind = False
        for table, fields in RECORDED_MOMENTS.items():
            docs = tables.get(table, {}).values()
            for field in fields:
                self._consider_all([doc.get(field) for doc in docs])

    def _consider_all(self, values: list[Any]) -> None:
        """Take the newest of `values` in: as text within each of the two stored forms (with and without
        fractions of a second), which sort in time order among themselves; any other form one by one."""
        texts = [value for value in values if isinstance(value, str)]
        stored = [value for value in texts if value.endswith("Z") and len(value) in (20, 27)]
        candidates = [max((value for value in stored if len(value) == size), default=None) for size in (20, 27)]
        if len(stored) < len(texts):
            candidates += [value for value in texts if not (value.endswith("Z") and len(value) in (20, 27))]
        for value in candidates:
            key = _sort_key(value)
            if key is not None and key > self.newest_key:
                self.newest_key = key

    def changed(self, table: str, doc_id: int, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
        fields = RECORDED_MOMENTS.get(table)
        if fields is None or new is None:
            return
        for field in fields:
            key = _sort_key(new.get(field))
            if key is not None and key > self.newest_key:
                self.newest_key = key

    @property
    def newest(self) -> datetime | None:
        if not self.newest_key:
            return None
        # Parsed once per newest moment: while the clock is behind, every reading of it needs this one.
        parsed = self._parsed
        if parsed is None or parsed[0] != self.newest_key:
            parsed = self._parsed = (
                self.newest_key,
                datetime.strptime(self.newest_key, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC),
            )
        return parsed[1]


def _view(tx: Transaction) -> NewestRecordedMoment:
    return tx.derived(_VIEW, NewestRecordedMoment)


def newest_recorded(tx: Transaction) -> datetime | None:
    """Return the newest moment the store recorded (see `RECORDED_MOMENTS`), or None for an empty store."""
    return _view(tx).newest


@dataclass(frozen=True)
class ClockBehind:
    """The system clock reads `system`, but the store already recorded `newest`, `lag` later."""

    system: datetime
    newest: datetime

    @property
    def lag(self) -> timedelta:
        return self.newest - self.system

    def sentence(self) -> str:
        """The finding in one line, for the log and `kiosk-tickets check`."""
        return (
            f"the system clock ({format_datetime(self.system)}) is behind the newest time the store recorded "
            f"({format_datetime(self.newest)}) by {_duration(self.lag)}; until it is set right, sales, payments "
            "and check-ins are dated at that newest time and carts and payment deadlines are judged by it"
        )


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day(s)"] if days else []
    if hours or days:
        parts.append(f"{hours} hour(s)")
    parts.append(f"{minutes} minute(s)")
    return " ".join(parts)


def behind(tx: Transaction, system_time: datetime) -> ClockBehind | None:
    """Return how far `system_time` is behind the newest recorded moment, if by more than `TOLERANCE`."""
    return _lag(newest_recorded(tx), system_time)


def _lag(newest: datetime | None, system_time: datetime) -> ClockBehind | None:
    if newest is None or newest - system_time <= TOLERANCE:
        return None
    return ClockBehind(system_time, newest)


def _key_of(moment: datetime) -> str:
    """`moment` in the form of `NewestRecordedMoment.newest_key`, which sorts as text in time order."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _later(newest: datetime | None, system_time: datetime) -> datetime:
    return system_time if newest is None or system_time >= newest else newest


def now(tx: Transaction, system_time: datetime) -> datetime:
    """Return the services' current time: the later of `system_time` and the newest recorded moment.

    The first time the clock is seen behind (and again after it caught up and fell behind anew), a warning
    goes to the log.
    """
    view = _view(tx)
    if not view.newest_key or _key_of(system_time) >= view.newest_key:
        # Not behind, as at nearly every reading: told by comparing the two moments as text, since each write
        # moves the newest moment and parsing it anew took longer than the rest of the guard.
        if view.told_behind:
            log.info(
                "clock caught up: the system clock (%s) is past the newest time the store recorded again.",
                format_datetime(system_time),
            )
            view.told_behind = False
        return system_time
    # Behind the newest moment; said in the log once it is behind by more than the tolerance.
    newest = view.newest
    lag = _lag(newest, system_time)
    if lag is not None and not view.told_behind:
        log.warning(
            "clock behind: %s. Connect the box to a network with a time server, or set its clock.", lag.sentence()
        )
        view.told_behind = True
    return _later(newest, system_time)


def later_of(tx: Transaction, system_time: datetime) -> datetime:
    """Return the later of `system_time` and the newest recorded moment, telling no one (see `now`)."""
    return _later(newest_recorded(tx), system_time)


def guarded_clock(store_of: Callable[[], Store], system_clock: Callable[[], datetime]) -> Callable[[], datetime]:
    """Return a clock for code that holds no transaction: each reading is `now` over the store `store_of` gives
    (inside a transaction already open in this thread, it joins it)."""

    def read() -> datetime:
        with store_of().transaction() as tx:
            return now(tx, system_clock())

    return read
