"""The screens' own static files are served, and the style sheet is whole (one unclosed rule hides the rest)."""

from __future__ import annotations

from pathlib import Path

import kiosk_tickets.ui

STATIC = Path(kiosk_tickets.ui.__file__).parent / "static"


def test_every_rule_of_the_style_sheet_is_closed():
    depth = 0
    for number, line in enumerate((STATIC / "ui.css").read_text().splitlines(), 1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"line {number} closes a rule that was never opened"
    assert depth == 0


def test_the_static_files_are_served(anonymous):
    for name in sorted(path.name for path in STATIC.iterdir() if path.is_file()):
        response = anonymous.get(f"/ui/static/{name}")
        assert response.status_code == 200, name
        response.close()


def test_urls_are_built_with_their_arguments_quoted_and_the_rest_as_a_query(app):
    # The rules compile their URL builders on first use: both builders, with and without unknown arguments.
    from flask import url_for

    with app.test_request_context():
        assert url_for("ui.static", filename="a b.css") == "/ui/static/a%20b.css"
        assert url_for("ui.signin", next="/ui/door?x=1") == "/?next=/ui/door?x%3D1"
        assert url_for("ui.signin", _external=True) == "http://localhost/"
