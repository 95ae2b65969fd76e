"""The server's loop leaves a connection's output to the worker thread that is writing it, instead of spinning."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kiosk_tickets.serving import Connection, Limits, create_server


def _app(environ, start_response):  # pragma: no cover - never called: no request is served here
    start_response("200 OK", [])
    return [b""]


@pytest.fixture
def connection() -> Iterator[Connection]:
    server = create_server(_app, "127.0.0.1", 0, 1, Limits())
    ours, theirs = socket.socketpair()
    channel = Connection(server, ours, ("127.0.0.1", 50000), server.adj, map={})
    yield channel
    channel.close()
    theirs.close()
    server.close()


def _with_answer_buffered(channel: Connection, size: int = 100) -> None:
    """A request in progress whose answer waits in the output buffer."""
    channel.requests = [object()]
    channel.outbufs[-1].append(b"x" * size)
    channel.total_outbufs_len = size


@contextmanager
def _held_elsewhere(channel: Connection) -> Iterator[None]:
    """Hold the connection's output buffer in another thread, as a worker writing the answer does."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with channel.outbuf_lock:
            taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    try:
        yield
    finally:
        release.set()
        holder.join()


def test_a_buffer_the_loop_can_take_is_written_by_the_loop(connection):
    _with_answer_buffered(connection)
    assert connection.writable()


def test_a_buffer_a_worker_holds_is_left_to_that_worker(connection):
    _with_answer_buffered(connection)
    with _held_elsewhere(connection):
        assert not connection.writable()
    assert connection.writable()


@pytest.mark.parametrize("state", ["will_close", "close_when_flushed", "no request", "past the high watermark"])
def test_the_loop_still_writes_what_waitress_needs_it_to_write_while_a_worker_holds_the_buffer(connection, state):
    _with_answer_buffered(connection)
    if state == "no request":
        connection.requests = []
    elif state == "past the high watermark":
        connection.total_outbufs_len = connection.adj.outbuf_high_watermark + 1
    else:
        setattr(connection, state, True)
    with _held_elsewhere(connection):
        assert connection.writable()
