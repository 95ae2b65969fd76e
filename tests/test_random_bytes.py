"""The batched random source: ids as secrets.token_hex makes them, never the same bytes twice, none shared
with a forked child."""

from __future__ import annotations

import os
import re
import threading
import warnings

import pytest

from kiosk_tickets.services import common
from kiosk_tickets.services.carts import API_SUFFIX, new_cart_id


def test_a_cart_id_is_48_hex_digits_and_the_suffix_and_ids_do_not_repeat():
    ids = {new_cart_id() for _ in range(2000)}  # beyond one batch
    assert len(ids) == 2000
    assert all(re.fullmatch(r"[0-9a-f]{48}" + re.escape(API_SUFFIX), cart_id) for cart_id in ids)


def test_bytes_are_taken_from_secrets_in_batches_and_handed_out_once(monkeypatch):
    fetched: list[bytes] = []
    counter = iter(range(10**6))

    def token_bytes(count: int) -> bytes:
        chunk = bytes(next(counter) % 256 for _ in range(count))
        fetched.append(chunk)
        return chunk

    monkeypatch.setattr(common.secrets, "token_bytes", token_bytes)
    source = common.RandomBytes(batch=64)
    taken = [source.token_hex(24) for _ in range(10)] + [source.token_hex(100)]
    # 64 bytes at a time, and for a request larger than a batch as many as it asks for.
    assert [len(chunk) for chunk in fetched] == [64, 64, 64, 64, 100]
    # Handed out in the order fetched, each byte once.
    assert "".join(taken) == b"".join(fetched)[:340].hex()


def test_threads_never_get_the_same_bytes():
    source = common.RandomBytes(batch=256)
    results: list[str] = []

    def draw() -> None:
        drawn = [source.token_hex(16) for _ in range(500)]
        results.extend(drawn)

    threads = [threading.Thread(target=draw) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == len(results) == 4000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_reuse_the_parents_bytes():
    source = common.RandomBytes()
    source.token_hex(8)  # the pool now holds bytes the parent will hand out
    reading, writing = os.pipe()
    with warnings.catch_warnings():
        # Newer Pythons warn about forking a process with threads; the child only draws and writes here.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(writing, source.token_hex(32).encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    in_child = os.read(reading, 64).decode()
    os.close(reading)
    assert source.token_hex(32) != in_child
