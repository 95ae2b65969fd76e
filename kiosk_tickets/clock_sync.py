"""Whether the system clock is synchronised with a time server, and waiting until it is (Linux).

For boxes that should not sell before their clock is right (`KIOSK_TICKETS_REQUIRE_SYNCED_CLOCK`): `serve`
waits here before it listens. Two signs count, either suffices: systemd-timesyncd's flag file, which it
creates once it has set the clock from a server, and the kernel's own state (adjtimex), which every NTP
daemon (timesyncd, chrony, ntpd) keeps synchronised while it disciplines the clock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("kiosk_tickets.clock")
log.setLevel(logging.INFO)  # the line that waiting ended is news too

TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")

# adjtimex(2) answers TIME_ERROR while the kernel holds the clock unsynchronised (STA_UNSYNC set).
_TIME_ERROR = 5
# Larger than `struct timex` on every Linux ABI (some 208 bytes on 64-bit): the call only reads the clock's
# state (modes 0), so no field needs to be laid out, only the answer read.
_TIMEX_BYTES = 512


def kernel_clock_synchronised() -> bool | None:
    """Return whether the kernel deems the clock synchronised (adjtimex), or None where it cannot be asked."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        adjtimex = libc.adjtimex
    except (OSError, AttributeError):
        return None
    state = ctypes.create_string_buffer(_TIMEX_BYTES)  # zeroed: modes 0, change nothing
    answer = adjtimex(state)
    if answer < 0:
        return None
    return bool(answer != _TIME_ERROR)


def system_clock_synchronised(flag: Path = TIMESYNCD_FLAG) -> bool:
    """Return whether the system clock was set from a time server: timesyncd's flag, or the kernel's state."""
    return flag.exists() or kernel_clock_synchronised() is True


def wait_until_synchronised(
    is_synchronised: Callable[[], bool] = system_clock_synchronised,
    sleep: Callable[[float], None] = time.sleep,
    interval: float = 2.0,
) -> None:
    """Return once `is_synchronised()` holds, checking every `interval` seconds; a log line when waiting
    starts and one when it ends."""
    if is_synchronised():
        return
    log.warning(
        "waiting for the system clock to be synchronised with a time server before serving "
        "(KIOSK_TICKETS_REQUIRE_SYNCED_CLOCK is set)"
    )
    waited = 0.0
    synchronised = False
    while not synchronised:
        sleep(interval)
        waited += interval
        synchronised = is_synchronised()
    log.info("the system clock is synchronised (after %.0f s): serving", waited)
