"""An HTTP client of a central pretix's REST API: the reads a pull makes (every list followed to its end)
and the writes of allot and push.

Every failure ends as `CentralError`, one sentence saying what went wrong and what to check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import requests

# Seconds to wait for the central to answer one request: lists are paged, so no answer should take long.
TIMEOUT = 60.0


class CentralError(Exception):
    """The central could not be read: unreachable, the token refused, the event unknown, an odd answer."""


class TokenRefused(CentralError):
    """The central answered 401: it did nothing with the request."""


@dataclass(frozen=True)
class Page:
    """One page of a list, with the headers a pull keeps as cursors."""

    results: list[dict[str, Any]]
    count: int
    page_generated: str | None
    last_modified: str | None


@dataclass(frozen=True)
class CatalogList:
    """A whole list, or None if it did not change since the date sent (304); with its Last-Modified."""

    results: list[dict[str, Any]] | None
    last_modified: str | None


class Central:
    """The central server at `url`, read with `token` for `organizer`."""

    def __init__(self, url: str, token: str, organizer: str, session: requests.Session | None = None) -> None:
        self.url = url.rstrip("/") + "/"
        self.organizer = organizer
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"
        self.session.headers["Accept"] = "application/json"

    def _event_url(self, event: str, path: str = "") -> str:
        return urljoin(
            self.url, f"api/v1/organizers/{quote(self.organizer, safe='')}/events/{quote(event, safe='')}/{path}"
        )

    def _get(self, url: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
             event: str | None = None, missing_ok: bool = False) -> requests.Response:
        try:
            response = self.session.get(url, params=params, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise CentralError(f"the central server {self.url} cannot be reached ({_reason(error)}).") from None
        where = f"event {event!r} of organizer {self.organizer!r}" if event else f"organizer {self.organizer!r}"
        if response.status_code == 401:
            raise CentralError(f"the central server {self.url} refused the token (401): check --token.")
        if response.status_code == 403:
            raise CentralError(
                f"the central server {self.url} does not let this token read {where} (403): "
                "check --organizer, --event and the token's permissions."
            )
        if response.status_code == 404 and missing_ok:
            return response
        if response.status_code == 404:
            raise CentralError(f"the central server {self.url} has no {where} (404): check --organizer and --event.")
        if response.status_code not in (200, 304):
            raise CentralError(f"the central server {self.url} answered {response.status_code} to {url}.")
        return response

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise CentralError(f"the central server {self.url} did not answer JSON at {response.url}.") from None

    def organizer_doc(self) -> dict[str, Any]:
        """Return the organizer's JSON."""
        return self._json(self._get(urljoin(self.url, f"api/v1/organizers/{quote(self.organizer, safe='')}/")))

    def event(self, event: str) -> dict[str, Any]:
        """Return the event's JSON."""
        return self._json(self._get(self._event_url(event), event=event))

    def event_settings(self, event: str) -> dict[str, Any]:
        """Return the event's settings."""
        return self._json(self._get(self._event_url(event, "settings/"), event=event))

    def pages(self, event: str, path: str, params: Mapping[str, str] | None = None,
              if_modified_since: str | None = None, missing_ok: bool = False) -> Iterator[Page | None]:
        """Yield the list's pages, following `next`; a single None if If-Modified-Since matched (304); none
        at all with `missing_ok` where the central has no such list (404)."""
        url: str | None = self._event_url(event, path)
        query: Mapping[str, str] | None = params
        headers = {"If-Modified-Since": if_modified_since} if if_modified_since else None
        while url is not None:
            response = self._get(url, query, headers, event=event, missing_ok=missing_ok)
            if response.status_code == 404:
                return
            if response.status_code == 304:
                yield None
                return
            body = self._json(response)
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise CentralError(f"the central server {self.url} answered no list at {response.url}.")
            yield Page(
                body["results"],
                int(body.get("count") or 0),
                response.headers.get("X-Page-Generated"),
                response.headers.get("Last-Modified"),
            )
            # `next` carries every parameter already; only the first page is conditional.
            url, query, headers = self._same_server(body.get("next")), None, None

    def ticket_layouts(self, event: str) -> list[dict[str, Any]]:
        """Return the event's ticket layouts; none from a central without PDF tickets (no such list there: 404)."""
        return self.whole_list(event, "ticketlayouts/", missing_ok=True).results or []

    def file(self, link: str) -> bytes | None:
        """Return the file the central links to (a layout's background), read from the server given as --from;
        None if it has no such file (404)."""
        url = self._same_server(link)
        assert url is not None
        response = self._get(url, headers={"Accept": "*/*"}, missing_ok=True)
        return None if response.status_code == 404 else response.content

    def _same_server(self, link: str | None) -> str | None:
        """The link's path and query on the server given as --from: the token goes nowhere else, whatever
        host the central names in its links (it may know itself under another name)."""
        if not link:
            return None
        target = urlsplit(link)
        base = urlsplit(self.url)
        return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))

    def write(self, method: str, event: str, path: str, body: Mapping[str, Any],
              idempotency_key: str | None = None) -> Answer:
        """Send one write under the event; return the answer whatever its status.

        Raises CentralError only when no answer came or the token was refused: everything else (a 400, a
        409 of a busy central) the caller records against the object it was uploading.
        """
        return self._write(method, self._event_url(event, path), body, idempotency_key)

    def write_organizer(self, method: str, path: str, body: Mapping[str, Any],
                        idempotency_key: str | None = None) -> Answer:
        """Send one write under the organizer (e.g. the check-in RPC); as `write`."""
        url = urljoin(self.url, f"api/v1/organizers/{quote(self.organizer, safe='')}/{path}")
        return self._write(method, url, body, idempotency_key)

    def _write(self, method: str, url: str, body: Mapping[str, Any], idempotency_key: str | None) -> Answer:
        headers = {"X-Idempotency-Key": idempotency_key} if idempotency_key else None
        try:
            response = self.session.request(
                method, url, json=dict(body), headers=headers, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            raise CentralError(f"the central server {self.url} cannot be reached ({_reason(error)}).") from None
        if response.status_code == 401:
            raise TokenRefused(f"the central server {self.url} refused the token (401): check --token.")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return Answer(response.status_code, answer)

    def whole_list(self, event: str, path: str, if_modified_since: str | None = None,
                   missing_ok: bool = False) -> CatalogList:
        """Return every object of the list, or None for one unchanged since `if_modified_since`; with
        `missing_ok`, no object where the central has no such list."""
        results: list[dict[str, Any]] = []
        last_modified = None
        pages = self.pages(event, path, if_modified_since=if_modified_since, missing_ok=missing_ok)
        for number, page in enumerate(pages):
            if page is None:
                return CatalogList(None, if_modified_since)
            if number == 0:
                last_modified = page.last_modified
            results.extend(page.results)
        return CatalogList(results, last_modified)


@dataclass(frozen=True)
class Answer:
    """The central's answer to a write: its status and its JSON body (None if it sent none)."""

    status: int
    body: Any


def _reason(error: requests.RequestException) -> str:
    # A connect timeout is both; no answer in time is what the user can act on.
    if isinstance(error, requests.Timeout):
        return f"no answer within {TIMEOUT:.0f} seconds"
    if isinstance(error, requests.ConnectionError):
        return "connection refused or no route"
    return type(error).__name__
