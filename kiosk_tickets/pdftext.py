"""Lines of text in any script for fpdf2: right-to-left runs in visual order, each run in the font that draws it.

fpdf2 draws text in the order it is given, so Hebrew and Arabic must be put in visual order first. Each run of one
font is shown in one text operation that follows a font selection outside any saved graphics state: pypdf keeps
the current font across a restored state (fpdf2's own fallback drawing wraps runs in q/Q) and then decodes the
next line with the wrong font, and it reads a right-to-left run back in logical order only when the run, with
the spaces inside it, is one operation.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import fonts

if TYPE_CHECKING:  # fpdf is imported where a PDF is made: it costs start-up some 0.25 s
    from fpdf import FPDF

_RTL_CLASSES = frozenset({"R", "AL"})
_LTR_CLASSES = frozenset({"L", "EN", "AN"})


@dataclass(frozen=True)
class Run:
    """Characters drawn in one font, in visual order."""

    family: str
    text: str


def _direction(character: str) -> str | None:
    """'R', 'L', or None for characters that take the direction of their neighbours (spaces, punctuation)."""
    kind = unicodedata.bidirectional(character)
    if kind in _RTL_CLASSES:
        return "R"
    if kind in _LTR_CLASSES:
        return "L"
    return None


def visual(text: str) -> str:
    """Return `text` in the order its characters appear from left to right.

    A simplified bidirectional algorithm, enough for names and titles: the first strong character sets the
    paragraph's direction, neutral characters between two runs of one direction join them, others take the
    paragraph's direction; right-to-left runs are reversed, and in a right-to-left paragraph so is their order.
    """
    directions = [_direction(character) for character in text]
    strong = [d for d in directions if d]
    if "R" not in strong:
        return text
    base = strong[0]
    resolved: list[str] = []
    for index, direction in enumerate(directions):
        if direction:
            resolved.append(direction)
            continue
        before = next((d for d in reversed(directions[:index]) if d), base)
        after = next((d for d in directions[index + 1 :] if d), base)
        resolved.append(before if before == after else base)
    segments: list[tuple[str, str]] = []
    for character, direction in zip(text, resolved, strict=True):
        if segments and segments[-1][0] == direction:
            segments[-1] = (direction, segments[-1][1] + character)
        else:
            segments.append((direction, character))
    drawn = [chars[::-1] if direction == "R" else chars for direction, chars in segments]
    return "".join(reversed(drawn) if base == "R" else drawn)


def runs(text: str, style: str) -> list[Run]:
    """Split `text` (already through `fonts.printable`) into runs of one font, in visual order. A space keeps the
    font of the characters on both sides when they share one, so a right-to-left name stays a single run."""
    ordered = visual(text)
    families = [None if character == " " else fonts.family_for(character, style) for character in ordered]
    for index, family in enumerate(families):
        if family is None:
            before = next((f for f in reversed(families[:index]) if f), None)
            after = next((f for f in families[index + 1 :] if f), None)
            families[index] = before if before == after and before else fonts.FAMILY
    result: list[Run] = []
    for character, family in zip(ordered, families, strict=True):
        assert family is not None
        if result and result[-1].family == family:
            result[-1] = Run(family, result[-1].text + character)
        else:
            result.append(Run(family, character))
    return result


def _select(pdf: FPDF, family: str, style: str, size: float) -> None:
    # The fallback fonts come in one weight; the family's own styles are Roboto's.
    pdf.set_font(family, style if family == fonts.FAMILY else "", size)


def width(pdf: FPDF, text: str, style: str, size: float) -> float:
    """The width of `text` on one line, in the document's unit."""
    return sum(_advances(pdf, text, style, size))


def _advances(pdf: FPDF, text: str, style: str, size: float) -> list[float]:
    """Each character's advance in the document's unit: a line's width is their sum, as fpdf2 draws without
    kerning. A space inside a right-to-left run is drawn in that run's font; measured in Roboto's, it may
    differ by a fraction of a millimetre."""
    # fpdf2's unit is pdf.k points; the font's widths are thousandths of the size in points.
    scale = size / 1000 / pdf.k
    known = {character: fonts.width(character, style) * scale for character in set(text)}
    return [known[character] for character in text]


def wrap(pdf: FPDF, text: str, style: str, size: float, limit: float | None, most: int = 100) -> list[str]:
    """Break `text` into lines no wider than `limit` (at spaces, or inside a word longer than a line), keeping
    the line breaks it has; at most `most` lines, so that a layout cannot make a ticket endless. Lines are in
    logical order, each to be drawn with `draw`."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if limit is None:
            lines.append(paragraph)
            continue
        advances = _advances(pdf, paragraph, style, size)
        start = 0
        while start < len(paragraph) and len(lines) < most:
            used, end, last_space = 0.0, start, -1
            while end < len(paragraph) and (used + advances[end] <= limit or end == start):
                if paragraph[end] == " ":
                    last_space = end
                used += advances[end]
                end += 1
            if end < len(paragraph) and last_space > start:
                end = last_space  # break at the last space that fits; the space itself is dropped
            lines.append(paragraph[start:end].rstrip(" "))
            start = end
            while start < len(paragraph) and paragraph[start] == " ":
                start += 1
        if not paragraph:
            lines.append("")
    return lines[:most]


def draw(pdf: FPDF, x: float, baseline: float, text: str, style: str, size: float) -> None:
    """Draw one line of `text` starting at `x` on `baseline`."""
    for run in runs(text, style):
        _select(pdf, run.family, style, size)
        pdf.text(x, baseline, run.text)
        x += width(pdf, run.text, style, size)
