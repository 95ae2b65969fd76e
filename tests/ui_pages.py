"""Helpers for the tests of the screens: reading form fields out of pages, and signing a browser in."""

from __future__ import annotations

import html
import re
from typing import Any


def form_field(page: Any, name: str) -> str:
    """The value of the hidden (or any) input `name` in a page (a response or its text)."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    found = re.search(rf'name="{name}" value="([^"]*)"', text)
    assert found, f"no field {name} in the page"
    return html.unescape(found.group(1))


def sign_in(browser: Any, token: str, next_path: str | None = None) -> Any:
    """Post `token` through the sign-in form (with its CSRF token) as a browser would; return the response."""
    page = browser.get("/")
    data = {"csrf_token": form_field(page, "csrf_token"), "token": token}
    if next_path:
        data["next"] = next_path
    return browser.post("/", data=data)


def result_of(page: Any) -> str | None:
    """The `data-result` of a page's result panel."""
    found = re.search(r'id="result"[^>]*data-result="([a-z]+)"', page.get_data(as_text=True))
    return found.group(1) if found else None
