"""The HTTP server: waitress, with limits that keep any one LAN client from holding every connection.

Plain waitress stops accepting at its connection limit and closes a connection only after `channel_timeout`
seconds without a byte, so clients that trickle a request's head one byte at a time hold their places for
ever. Here each connection is watched from the server's maintenance cycle (once a second):

- A request's line and headers must arrive within `header_timeout` seconds, counted from the opening of the
  connection, or for a later request on it from its first byte; its body within `body_timeout` seconds of
  the head. A connection that misses its deadline is closed, however steadily its bytes trickle.
- One client address holds at most `per_client` connections, and the server at most `connections`. A
  connection beyond either limit makes room by closing, of that address (or of all), the connection that has
  waited longest without a request in hand: one still waiting for its head, one sending its body, or an idle
  keep-alive one. A client that sends its requests promptly is therefore never the one closed, even behind the
  same address as a slow one. Only when every such connection has a request in progress is the new one
  closed instead.

Connections with a request in progress are left alone: how long the application takes is not the client's doing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

Clock = Callable[[], float]

log = logging.getLogger("kiosk_tickets.serving")

# How often (seconds) the limits are checked: waitress's maintenance interval, the smallest it takes.
CHECK_INTERVAL = 1
# Places waitress keeps beyond `connections`: the listening socket and its trigger, and connections accepted
# while the one they displace is still closing (it closes on the next turn of the loop).
_RESERVE = 8
# At most one warning about closed connections per this many seconds.
REPORT_INTERVAL = 60.0


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    per_client: int = 32  # 0: no limit per address
    connections: int = 250

    def __post_init__(self) -> None:
        if self.header_timeout <= 0 or self.body_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.per_client < 0 or self.connections < 1:
            raise ValueError("connection limits must be positive (0 per client: no limit)")


class Connection(HTTPChannel):
    """A waitress channel that notes when it began waiting for a request's head or body, and when it went idle."""

    def __init__(self, server: LimitedServer, sock: Any, addr: Any, adj: Adjustments, map: Any = None) -> None:
        self.book = server.book
        self.client = str(addr[0]) if addr else ""
        now = self.book.clock()
        self.head_since: float | None = now  # waiting for a request's line and headers since then
        self.body_since: float | None = None  # waiting for the rest of a request's body since then
        self.idle_since: float | None = None  # the last request was answered then
        super().__init__(server, sock, addr, adj, map)  # registers the channel, see add_channel
        self.book.admit(self, now)

    def parser_class(self, adj: Adjustments) -> HTTPRequestParser:
        return _Parser(adj, self)

    def add_channel(self, map: Any = None) -> None:
        super().add_channel(map)
        self.book.add(self)

    def del_channel(self, map: Any = None) -> None:
        self.book.remove(self)
        super().del_channel(map)

    def writable(self) -> bool:
        # While a worker thread holds the output buffer it writes the answer and sends it itself, then wakes the
        # loop if anything is left (and always once its request is done). waitress would still ask poll() for
        # this socket, which is writable at once: the loop spun on a buffer it could not lock, some ten turns
        # per request with eight requests running, each turn taking the interpreter lock from the workers.
        # A buffer past the high watermark is left to waitress, whose worker waits for the loop to drain it.
        if (
            self.requests
            and not (self.will_close or self.close_when_flushed)
            and self.total_outbufs_len <= self.adj.outbuf_high_watermark
        ):
            if not self.outbuf_lock.acquire(blocking=False):
                return False
            self.outbuf_lock.release()
        return bool(super().writable())

    def service(self) -> None:
        super().service()
        # The server is ready for the next request only now: bytes of it that came early wait from this moment.
        now = self.book.clock()
        self.idle_since = now
        if self.head_since is not None:
            self.head_since = now
        if self.body_since is not None:
            self.body_since = now

    # Called by _Parser, in the loop's thread.

    def request_started(self) -> None:
        if self.head_since is None and self.body_since is None:
            self.head_since = self.book.clock()

    def head_received(self, body_follows: bool) -> None:
        self.head_since = None
        self.body_since = self.book.clock() if body_follows else None

    def request_received(self) -> None:
        self.head_since = self.body_since = None

    # Read by the book.

    def closing(self) -> bool:
        return bool(self.will_close or self.close_when_flushed)

    def waiting(self, now: float) -> float | None:
        """Seconds this connection has held its place without a request in hand; None while it has one."""
        if self.closing() or self.requests or self.total_outbufs_len:
            return None
        since = self.head_since if self.head_since is not None else self.body_since
        if since is None:
            since = self.idle_since
        return None if since is None else now - since

    def overdue(self, now: float, limits: Limits) -> str | None:
        """Why this connection must be closed now, if it must."""
        if self.closing() or self.requests or self.total_outbufs_len:
            return None
        if self.head_since is not None and now - self.head_since > limits.header_timeout:
            return "request head deadline"
        if self.body_since is not None and now - self.body_since > limits.body_timeout:
            return "request body deadline"
        return None

    def shut(self) -> None:
        """Close on the loop's next turn (as waitress's own maintenance does)."""
        self.will_close = True


class _Parser(HTTPRequestParser):
    """waitress's request parser, telling its connection when a request's head and body are complete."""

    def __init__(self, adj: Adjustments, connection: Connection) -> None:
        super().__init__(adj)
        self.connection = connection
        self.started = False

    def received(self, data: bytes) -> int:
        if not self.started:
            self.started = True
            self.connection.request_started()
        in_head = not self.headers_finished
        consumed = super().received(data)
        if self.empty:
            pass  # blank lines between requests: the head is still awaited, and its deadline still runs
        elif self.completed:
            self.connection.request_received()
        elif in_head and self.headers_finished:
            self.connection.head_received(body_follows=True)
        return int(consumed)


class ConnectionBook:
    """The open connections of a server, by client address, and the limits applied to them."""

    def __init__(self, limits: Limits, clock: Clock = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.by_client: dict[str, set[Connection]] = {}
        self.count = 0
        # Channels open and close in the loop's thread, except that a worker thread closes one whose client is
        # gone when it sends a `100 Continue`: the lock keeps the loop's reads whole meanwhile.
        self.lock = threading.Lock()
        self.closed: Counter[str] = Counter()
        self.next_report = 0.0

    def add(self, connection: Connection) -> None:
        with self.lock:
            self.by_client.setdefault(connection.client, set()).add(connection)
            self.count += 1

    def remove(self, connection: Connection) -> None:
        with self.lock:
            connections = self.by_client.get(connection.client)
            if connections is None or connection not in connections:
                return
            connections.discard(connection)
            self.count -= 1
            if not connections:
                del self.by_client[connection.client]

    def connections(self, client: str | None = None) -> list[Connection]:
        with self.lock:
            if client is not None:
                return list(self.by_client.get(client, ()))
            return [connection for connections in self.by_client.values() for connection in connections]

    def admit(self, newcomer: Connection, now: float) -> None:
        """Make room for a new connection within the limits, or close it if nothing can give way."""
        limits = self.limits
        if limits.per_client:
            others = [c for c in self.connections(newcomer.client) if c is not newcomer and not c.closing()]
            if len(others) >= limits.per_client and not self._displace(others, now, "client limit"):
                newcomer.shut()
                self.closed["client limit, all busy"] += 1
                return
        if self.count > limits.connections:
            others = [c for c in self.connections() if c is not newcomer and not c.closing()]
            if len(others) >= limits.connections and not self._displace(others, now, "connection limit"):
                newcomer.shut()
                self.closed["connection limit, all busy"] += 1

    def _displace(self, candidates: Iterable[Connection], now: float, reason: str) -> bool:
        victim = longest_waiting(candidates, now)
        if victim is None:
            return False
        victim.shut()
        self.closed[reason] += 1
        return True

    def enforce(self) -> None:
        """Close the connections past a deadline; now and then, log what was closed and why."""
        now = self.clock()
        for connection in self.connections():
            reason = connection.overdue(now, self.limits)
            if reason is not None:
                connection.shut()
                self.closed[reason] += 1
        if self.closed and now >= self.next_report:
            summary = ", ".join(f"{count} for {reason}" for reason, count in sorted(self.closed.items()))
            log.warning("closed connections: %s (%d open)", summary, self.count)
            self.closed.clear()
            self.next_report = now + REPORT_INTERVAL


def longest_waiting(candidates: Iterable[Connection], now: float) -> Connection | None:
    """The connection that has waited longest without a request in hand, if any has none."""
    best: Connection | None = None
    best_wait = -1.0
    for connection in candidates:
        wait = connection.waiting(now)
        if wait is not None and wait > best_wait:
            best, best_wait = connection, wait
    return best


class LimitedServer(TcpWSGIServer):
    """waitress's TCP server, with Connection channels and the book's limits checked in its maintenance cycle."""

    channel_class = Connection

    def __init__(self, application: Any, book: ConnectionBook, **options: Any) -> None:
        self.book = book
        super().__init__(application, **options)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # waitress's channel_timeout for idle connections
        self.book.enforce()


def create_server(
    app: Any,
    host: str,
    port: int,
    threads: int,
    limits: Limits,
    ident: str = "kiosk-tickets",
    clock: Clock = time.monotonic,
) -> Any:
    """A LimitedServer per address `host` resolves to, sharing one task queue, socket map and book."""
    adj = Adjustments(
        host=host,
        port=port,
        threads=threads,
        ident=ident,
        cleanup_interval=CHECK_INTERVAL,
        # poll() has no limit on descriptor numbers, unlike select()'s 1024.
        asyncore_use_poll=True,
    )
    # waitress stops accepting at its limit; ours sheds connections first, so waitress's only stops the server
    # when every connection has a request in progress.
    adj.connection_limit = limits.connections + 2 * len(adj.listen) + _RESERVE
    book = ConnectionBook(limits, clock)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(threads)
    socket_map: dict[int, Any] = {}
    servers = [
        LimitedServer(app, book, map=socket_map, dispatcher=dispatcher, adj=adj, sockinfo=sockinfo)
        for sockinfo in adj.listen
    ]
    if len(servers) == 1:
        return servers[0]
    listening = [(server.effective_host, server.effective_port) for server in servers]
    return MultiSocketServer(socket_map, adj, listening, dispatcher, servers[-1].log_info)


def serve(app: Any, host: str, port: int, threads: int, limits: Limits, ident: str = "kiosk-tickets") -> None:
    """Serve `app` until interrupted, as waitress.serve does, within `limits`."""
    logging.basicConfig()  # as waitress.serve: its warnings and ours reach stderr
    server = create_server(app, host, port, threads, limits, ident)
    server.print_listen("Serving on http://{}:{}")
    server.run()
