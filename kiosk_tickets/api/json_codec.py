"""JSON bytes of the API: orjson where it reads and writes exactly what the standard library would, else the
standard library itself.

orjson parses and writes a cart position's JSON some ten times faster than `json`. Where the two would
differ, the standard library decides, so what a request may say and what an answer says stay as they were:

- Reading: orjson refuses everything `json` refuses (NaN, Infinity, bad escapes) and more (lone surrogates,
  UTF-16, a byte order mark, numbers past a double): whatever orjson refuses is read again by `json`, which
  accepts it or raises its own error, whose message the client sees. orjson reads an integer of more than
  64 bits as a float, so a body with a run of 19 or more digits is read by `json` alone.
- Writing: orjson refuses non-string keys, integers of more than 64 bits, lone surrogates, Decimal, and
  (told to) dates and dataclasses, which `json` does not know either; those bodies are written by `json`,
  which writes them or raises as before. Two differences are left, both in floats: one in exponent form is
  written `1e-7` where `json` writes `1e-07` (the same number), and an infinite one (`1e400` in a request
  reads as one) `null` where `json` writes `Infinity`, which is no JSON at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

# An integer literal orjson would read as a float: more than 18 digits in a row (also inside a string, where
# it only costs the slower reader).
_LONG_DIGITS = re.compile(rb"\d{19}")
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON (non-ASCII characters as they are); TypeError or ValueError as `json`
    raises them for what is not JSON."""
    try:
        return orjson.dumps(value, option=_PASSTHROUGH)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(raw: bytes, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """The value of the JSON document `raw`, exactly as `json.loads(raw, parse_constant=…)` reads it; raises
    what that raises (ValueError, RecursionError)."""
    if not _LONG_DIGITS.search(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw, parse_constant=parse_constant)
