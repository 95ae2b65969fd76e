"""Every error the API can meet answers in pretix's JSON: HTTP errors of any code, and the unexpected."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import HTTPException, default_exceptions

import kiosk_tickets.api.catalog as catalog_routes
from kiosk_tickets.services.catalog import CATEGORIES

# The API's own words for the errors pretix clients meet; any other code keeps Werkzeug's description.
PRETIX_WORDS = {404: "Not found.", 405: 'Method "GET" not allowed.', 413: "Request body too large."}


def _raise(error: Exception):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize("code", sorted(default_exceptions))
def test_an_http_error_raised_in_a_view_is_pretix_json(api, monkeypatch, code):
    error_class: type[HTTPException] = default_exceptions[code]
    monkeypatch.setattr(catalog_routes, "order_documents", _raise(error_class()))

    response = api.get("/api/v1/organizers/")

    assert response.status_code == code
    assert response.mimetype == "application/json"
    assert response.get_json() == {"detail": PRETIX_WORDS.get(code, error_class.description)}


def test_an_unexpected_error_is_a_500_in_pretix_json(api, monkeypatch, caplog):
    monkeypatch.setattr(catalog_routes, "order_documents", _raise(RuntimeError("boom")))

    response = api.get("/api/v1/organizers/")

    assert response.status_code == 500
    assert response.get_json() == {"detail": "A server error occurred."}
    assert "unhandled error" in caplog.text


def test_a_write_that_fails_unexpectedly_leaves_nothing_behind(api, monkeypatch):
    categories = "/api/v1/organizers/bigevents/events/sampleconf/categories/"
    with monkeypatch.context() as patched:
        patched.setattr(CATEGORIES, "present", _raise(RuntimeError("after the write")))
        failed = api.post(categories, json={"name": "Lost"})

    assert failed.status_code == 500
    assert api.get(categories).get_json()["count"] == 0


def test_a_path_outside_the_api_is_not_answered_in_pretix_json(api):
    response = api.get("/nothing")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
