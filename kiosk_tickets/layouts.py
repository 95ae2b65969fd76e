"""Ticket layouts as pretix stores them: a JSON list of elements placed in millimetres from the page's bottom left.

`check` holds a layout to pretix's pdf-layout schema (and to bounds a renderer can honour), so that a layout is
refused when it is uploaded rather than failing when a ticket is downloaded. `Element` reads one checked element.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_NUMBER_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")

# Bounds beyond the schema: a page in a layout is a page in every ticket, and positions and sizes far outside any
# paper only make fpdf2 write nonsense.
MAX_ELEMENTS = 200
MAX_PAGE = 20
MAX_MM = 2000.0
MAX_TEXT = 5000

_COMMON = {"type", "page", "left", "bottom"}
_KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # type: (required besides type/left/bottom, optional)
    "barcodearea": (frozenset({"size"}), frozenset({"content", "text", "text_i18n", "nowhitespace"})),
    "imagearea": (frozenset({"content", "width", "height"}), frozenset()),
    "textarea": (
        frozenset({"content", "width", "fontsize", "fontfamily", "bold", "italic", "align", "color"}),
        frozenset({"text", "text_i18n", "locale", "lineheight", "downward", "rotation"}),
    ),
    "poweredby": (frozenset({"content", "size"}), frozenset()),
}


class LayoutError(ValueError):
    """A layout that breaks the schema; the message names the element (counted from 0) and its field."""


def _number(value: Any) -> float | None:
    """The value of a schema number (a JSON number or a numeric string); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        return float(value)
    return None


def _fail(index: int, element: Mapping[str, Any], message: str) -> LayoutError:
    kind = element.get("type")
    named = f"Element {index} ({kind})" if isinstance(kind, str) and kind in _KINDS else f"Element {index}"
    return LayoutError(f"{named}: {message}")


def check(layout: Any) -> list[dict[str, Any]]:
    """Return `layout` if it is a valid layout; raise LayoutError naming the first element that is not."""
    if not isinstance(layout, list):
        raise LayoutError("A layout is a list of elements.")
    if len(layout) > MAX_ELEMENTS:
        raise LayoutError(f"A layout has at most {MAX_ELEMENTS} elements.")
    for index, element in enumerate(layout):
        if not isinstance(element, dict):
            raise LayoutError(f"Element {index}: an element is an object.")
        _check_element(index, element)
    return layout


def _check_element(index: int, element: Mapping[str, Any]) -> None:
    kind = element.get("type")
    if kind not in _KINDS:
        raise _fail(index, element, f'"type" must be one of {", ".join(sorted(_KINDS))}.')
    required, optional = _KINDS[kind]
    for name in sorted({"left", "bottom"} | required):
        if name not in element:
            raise _fail(index, element, f'"{name}" is required.')
    unknown = sorted(set(element) - _COMMON - required - optional)
    if unknown:
        raise _fail(index, element, f'"{unknown[0]}" is not a property of a {kind}.')
    for name in ("left", "bottom", "rotation"):
        if name in element:
            value = _number(element[name])
            if value is None or abs(value) > MAX_MM:
                raise _fail(index, element, f'"{name}" must be a number between -{MAX_MM:g} and {MAX_MM:g}.')
    for name in ("size", "width", "height", "fontsize", "lineheight"):
        if name in element:
            value = _number(element[name])
            if value is None or not 0 < value <= MAX_MM:
                raise _fail(index, element, f'"{name}" must be a number above 0 and at most {MAX_MM:g}.')
    if "page" in element:
        page = _number(element["page"])
        if page is None or page != int(page) or not 1 <= page <= MAX_PAGE:
            raise _fail(index, element, f'"page" must be a whole number from 1 to {MAX_PAGE}.')
    for name in ("content", "text", "fontfamily"):
        if name in element and (not isinstance(element[name], str) or len(element[name]) > MAX_TEXT):
            raise _fail(index, element, f'"{name}" must be a text of at most {MAX_TEXT} characters.')
    if "locale" in element and element["locale"] is not None and not isinstance(element["locale"], str):
        raise _fail(index, element, '"locale" must be a text or null.')
    if "text_i18n" in element:
        texts = element["text_i18n"]
        if not isinstance(texts, dict) or not all(
            isinstance(key, str) and re.fullmatch(r"[a-zA-Z-]+", key) and isinstance(value, str)
            and len(value) <= MAX_TEXT
            for key, value in texts.items()
        ):
            raise _fail(index, element, '"text_i18n" must map language codes to texts.')
    for name in ("bold", "italic", "downward", "nowhitespace"):
        if name in element and not isinstance(element[name], bool):
            raise _fail(index, element, f'"{name}" must be true or false.')
    if kind == "textarea" and element["align"] not in ("left", "center", "right"):
        raise _fail(index, element, '"align" must be one of left, center, right.')
    if kind == "poweredby" and element["content"] not in ("dark", "white"):
        raise _fail(index, element, '"content" must be one of dark, white.')
    if kind == "textarea":
        color = element["color"]
        if (
            not isinstance(color, list)
            or not 3 <= len(color) <= 4
            or not all((number := _number(part)) is not None and 0 <= number <= 255 for part in color)
        ):
            raise _fail(index, element, '"color" must be three or four numbers from 0 to 255.')


@dataclass(frozen=True)
class Element:
    """One checked element with its numbers read: positions and sizes in millimetres, font size in points."""

    kind: str
    page: int
    left: float
    bottom: float
    raw: Mapping[str, Any]

    @classmethod
    def read(cls, element: Mapping[str, Any]) -> Element:
        return cls(
            kind=element["type"],
            page=int(_number(element.get("page", 1)) or 1),
            left=float(_number(element["left"]) or 0),
            bottom=float(_number(element["bottom"]) or 0),
            raw=element,
        )

    def number(self, name: str, default: float) -> float:
        value = _number(self.raw.get(name, default))
        return default if value is None else value

    def flag(self, name: str) -> bool:
        return bool(self.raw.get(name, False))

    def content(self, variables: Mapping[str, str], locale: str = "en") -> str:
        """The text the element shows: a variable's value, its own text (`other`), or its text in the element's
        language, else the ticket's, else the first it has (`other_i18n`)."""
        name = self.raw.get("content", "secret" if self.kind == "barcodearea" else "")
        if name == "other":
            return str(self.raw.get("text") or "")
        if name == "other_i18n":
            texts: Mapping[str, str] = self.raw.get("text_i18n") or {}
            for language in (self.raw.get("locale"), locale, "en"):
                if language and texts.get(language):
                    return texts[language]
            return next(iter(texts.values()), "")
        return variables.get(name) or ""
