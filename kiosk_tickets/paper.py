"""The papers tickets print on: their names, as settings and configuration give them, and their sizes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    """A page of `width` by `height` millimetres; a roll's height is None: each ticket is cut to its length."""

    width: float
    height: float | None

    @property
    def landscape(self) -> bool:
        return self.height is not None and self.width > self.height


PAPERS: dict[str, Paper] = {
    "A4": Paper(210, 297),
    "A5": Paper(148, 210),
    "A6": Paper(105, 148),
    "letter": Paper(215.9, 279.4),
    # The 2" x 5.5" card stock of thermal ticket printers (FGL, Boca and the like), fed short edge first and
    # printed across: a landscape page.
    "ticket-2x5.5in": Paper(139.7, 50.8),
    # A thermal receipt roll, 80 mm wide; the page is as long as the ticket.
    "roll-80mm": Paper(80, None),
}
PAGE_FORMATS = tuple(PAPERS)
