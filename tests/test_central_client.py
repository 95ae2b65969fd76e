"""The client of a central pretix, on answers given by hand: pages, conditional lists, and its error sentences."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from kiosk_tickets.central import Central, CentralError, Page

BASE = "http://central.example/"
ITEMS = BASE + "api/v1/organizers/acme/events/fair/items/"
UNREACHABLE = f"the central server {BASE} cannot be reached"


class Answer:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status_code, self.body, self.headers, self.url = status, body, headers or {}, "(answer)"

    def json(self) -> Any:
        if self.body is None:
            raise ValueError("no JSON")
        return self.body


class Session:
    """Answers in turn, and the requests they answered."""

    def __init__(self, *answers: Answer | Exception) -> None:
        self.headers: dict[str, str] = {}
        self.answers = list(answers)
        self.asked: list[tuple[str, Any, Any]] = []

    def get(self, url: str, params: Any = None, headers: Any = None, timeout: float = 0) -> Answer:
        self.asked.append((url, params, headers))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def central(*answers: Answer | Exception) -> tuple[Central, Session]:
    session = Session(*answers)
    return Central(BASE.rstrip("/"), "secret", "acme", session=session), session  # type: ignore[arg-type]


def test_pages_follow_next_on_the_server_given_whatever_host_the_links_name():
    client, session = central(
        Answer(200, {"count": 3, "next": "https://elsewhere.example/api/v1/x/?page=2", "results": [{"id": 1}]},
               {"X-Page-Generated": "2026-11-30T12:00:00Z", "Last-Modified": "Mon, 30 Nov 2026 11:00:00 GMT"}),
        Answer(200, {"count": 3, "next": None, "results": [{"id": 2}, {"id": 3}]}),
    )
    pages = list(client.pages("fair", "items/", {"ordering": "id"}))
    assert pages == [
        Page([{"id": 1}], 3, "2026-11-30T12:00:00Z", "Mon, 30 Nov 2026 11:00:00 GMT"),
        Page([{"id": 2}, {"id": 3}], 3, None, None),
    ]
    assert session.asked == [(ITEMS, {"ordering": "id"}, None), (BASE + "api/v1/x/?page=2", None, None)]
    assert session.headers["Authorization"] == "Token secret"


def test_a_list_unchanged_since_the_date_sent_is_none_with_that_date():
    client, session = central(Answer(304))
    listing = client.whole_list("fair", "items/", "Mon, 30 Nov 2026 11:00:00 GMT")
    assert (listing.results, listing.last_modified) == (None, "Mon, 30 Nov 2026 11:00:00 GMT")
    assert session.asked == [(ITEMS, None, {"If-Modified-Since": "Mon, 30 Nov 2026 11:00:00 GMT"})]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (requests.ConnectionError("refused"), f"{UNREACHABLE} (connection refused or no route)."),
        (requests.ConnectTimeout("slow"), f"{UNREACHABLE} (no answer within 60 seconds)."),
        (Answer(401, {}), f"the central server {BASE} refused the token (401): check --token."),
        (Answer(403, {}), f"the central server {BASE} does not let this token read event 'fair' of organizer 'acme' "
                          "(403): check --organizer, --event and the token's permissions."),
        (Answer(404, {}), f"the central server {BASE} has no event 'fair' of organizer 'acme' (404): check --organizer "
                          "and --event."),
        (Answer(500, {}), f"the central server {BASE} answered 500 to {BASE}api/v1/organizers/acme/events/fair/."),
        (Answer(200, None), f"the central server {BASE} did not answer JSON at (answer)."),
    ],
)
def test_every_failure_is_one_sentence(answer, message):
    client, _ = central(answer)
    with pytest.raises(CentralError) as failure:
        client.event("fair")
    assert str(failure.value) == message


def test_an_answer_that_is_no_list_is_refused():
    client, _ = central(Answer(200, {"detail": "odd"}))
    with pytest.raises(CentralError) as failure:
        client.whole_list("fair", "items/")
    assert str(failure.value) == f"the central server {BASE} answered no list at (answer)."


def test_ticket_layouts_follow_their_pages_and_a_central_without_pdf_tickets_has_none():
    layouts = BASE + "api/v1/organizers/acme/events/fair/ticketlayouts/"
    client, session = central(
        Answer(200, {"count": 2, "next": layouts + "?page=2", "results": [{"id": 1}]}),
        Answer(200, {"count": 2, "next": None, "results": [{"id": 2}]}),
        Answer(404, {"detail": "Not found."}),
    )
    assert client.ticket_layouts("fair") == [{"id": 1}, {"id": 2}]
    assert client.ticket_layouts("fair") == []
    assert [url for url, _, _ in session.asked] == [layouts, layouts + "?page=2", layouts]
