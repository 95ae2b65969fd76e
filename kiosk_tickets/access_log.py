"""The access log: one line per HTTP request in the Common Log Format, written by a WSGI middleware.

waitress keeps no access log of its own, so `serve` wraps the app in `AccessLog`. A line reads

    192.168.1.20 - - [30/Nov/2026:09:15:02 +0000] "GET /api/v1/organizers/?page=2 HTTP/1.1" 200 512

(client address, identity and user always `-`, time the request arrived, request line as sent, status, bytes of
the body or `-` for none). The user field stays `-` on purpose: the principal is only known from the
Authorization header or a session, and neither a token nor anything derived from one belongs in a log. Nor does
a ticket's secret, which admits whoever shows it: the request line keeps only the first characters of one in
the path of a redeem by secret and in `secret=` and `search=` parameters, as the log lines of refused scans do.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from .services.checkin import secret_prefix

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
Clock = Callable[[], datetime]

log = logging.getLogger("kiosk_tickets.access")

# The format's month names are English whatever the box's locale, which strftime's %b would follow.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _local_now() -> datetime:
    # The box's own time zone, with its offset in each line, as web servers write it.
    return datetime.now().astimezone()


def format_time(moment: datetime) -> str:
    """`[30/Nov/2026:09:15:02 +0000]`: the Common Log Format's time of `moment` (an aware datetime)."""
    # Field by field rather than strftime, which took a fifth of the middleware's time per request.
    offset = int((moment.utcoffset() or timedelta(0)).total_seconds()) // 60
    hours, minutes = divmod(abs(offset), 60)
    sign = "-" if offset < 0 else "+"
    return (
        f"[{moment.day:02d}/{_MONTHS[moment.month - 1]}/{moment.year:04d}:"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{minutes:02d}]"
    )


# Where a request carries a ticket's secret: the legacy redeem's path (a position id there is no secret) and
# the parameters the check-in search and the order lists take.
_SECRET_IN_PATH = re.compile(r"(/positions/)(?![0-9]+/)([^/?]+)(/redeem)")
_SECRET_IN_QUERY = re.compile(r"([?&](?:secret|search)=)([^&#]+)")


def _masked(target: str) -> str:
    def shortened(match: re.Match[str]) -> str:
        return f"{match[1]}{secret_prefix(match[2])}***{match[3] if match.lastindex == 3 else ''}"

    return _SECRET_IN_QUERY.sub(shortened, _SECRET_IN_PATH.sub(shortened, target))


def request_line(environ: Environ) -> str:
    """The request line as the client sent it: method, path with its query string, protocol."""
    target = environ.get("REQUEST_URI")
    if not target:
        # Servers other than waitress: rebuild it; PEP 3333 hands the path over as Latin-1 decoded bytes.
        target = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
    line = f"{environ.get('REQUEST_METHOD', '-')} {_masked(target)} {environ.get('SERVER_PROTOCOL', '-')}"
    if line.isascii() and line.isprintable() and '"' not in line and "\\" not in line:
        return line  # as nearly every request line is: nothing to escape
    # A quote or a control character in the request must not break the line apart or fake another.
    return line.encode("unicode_escape").decode("ascii").replace('"', '\\"')


class AccessLog:
    """A WSGI middleware writing one Common Log Format line to the `kiosk_tickets.access` logger per request.

    The line is written when the server closes the response, so it holds the bytes actually produced.
    """

    def __init__(self, app: WsgiApp, clock: Clock = _local_now) -> None:
        self.app = app
        self.clock = clock
        # The last second written and its text: a busy server writes many lines a second.
        self._last_time: tuple[tuple[datetime, Any], str] | None = None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        arrived = self.clock()
        status: list[str] = []

        def recording_start_response(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[:] = [status_line.split(" ", 1)[0]]
            return start_response(status_line, headers, exc_info)

        try:
            body = self.app(environ, recording_start_response)
        except BaseException:
            # The server answers 500 for an app that raises; the request is still logged.
            self._write(environ, arrived, "500", 0)
            raise
        return _Counted(body, lambda sent: self._write(environ, arrived, status[0] if status else "500", sent))

    def _write(self, environ: Environ, arrived: datetime, status: str, sent: int) -> None:
        log.info(
            '%s - - %s "%s" %s %s',
            environ.get("REMOTE_ADDR") or "-",
            self._time_text(arrived),
            request_line(environ),
            status,
            sent or "-",
        )

    def _time_text(self, moment: datetime) -> str:
        # Keyed by the instant and the offset: the same second reads differently across a change of time zone.
        key = (moment.replace(microsecond=0), moment.tzinfo)
        last = self._last_time
        if last is not None and last[0] == key:
            return last[1]
        text = format_time(moment)
        self._last_time = (key, text)
        return text


class _Counted:
    """The app's response body, counting its bytes, and reporting them once when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]) -> None:
        self.body = body
        self.done = done
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done(self.sent)
