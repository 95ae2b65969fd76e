"""pretix's list envelope: count, absolute next/previous links, and pages read as DRF reads them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request
from marshmallow import Schema, ValidationError

from .. import schemas
from ..errors import NotFound

Present = Callable[[Any], Mapping[str, Any]]


@dataclass
class Listing:
    """What a list view returns: every matching document, and how to present one; only a page is presented."""

    docs: Sequence[Any]
    present: Present = dict
    headers: dict[str, str] = field(default_factory=dict)


def page_parameters() -> tuple[int, int]:
    """Return (page, page size) read as DRF does: a page that is not a positive whole number is not
    found, and a page size that is not one is ignored."""
    schema = schemas.instance(schemas.PageQuery)
    limit = current_app.config["PAGE_SIZE"]
    try:
        page = schema.load({"page": request.args.get("page") or "1"}, partial=True)["page"]
    except ValidationError:
        raise NotFound("Invalid page.") from None
    try:
        size = schema.load({"page_size": request.args.get("page_size") or None}, partial=True)["page_size"]
    except ValidationError:
        size = None
    return page, min(size or limit, limit)


def _page_url(page: int) -> str:
    # Every parameter is kept, repeated ones too (`exclude=…&exclude=…`): clients fetch `next` verbatim.
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    if page > 1:
        args["page"] = [str(page)]
    query = urlencode(args, doseq=True)
    return request.base_url + (f"?{query}" if query else "")


def paginate(listing: Listing, schema: Schema) -> dict[str, Any]:
    """The envelope of the requested page; only that page's documents are presented and dumped."""
    page, size = page_parameters()
    docs = listing.docs
    start = (page - 1) * size
    if start >= len(docs) and page != 1:
        raise NotFound("Invalid page.")
    chunk = docs[start : start + size]
    return {
        "count": len(docs),
        "next": _page_url(page + 1) if start + size < len(docs) else None,
        "previous": _page_url(page - 1) if page > 1 else None,
        "results": schemas.dump(schema, [listing.present(doc) for doc in chunk], many=True),
    }
