"""The screens' language: English (the source) or German, as the browser asks (Accept-Language) unless the
header's switch chose one for this session. The API under /api/ speaks English only and never asks."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT = "en"
_SESSION = "language"


def N_(text: str) -> str:
    """Mark a text for translation where it is defined; it is translated where it is shown."""
    return text


def chosen_language() -> str:
    """The session's choice, else the browser's best match, else English."""
    chosen = session.get(_SESSION)
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT) or DEFAULT


def keep_language() -> str | None:
    """The session's language choice, to put back after the session is cleared (sign-in, sign-out)."""
    chosen = session.get(_SESSION)
    return str(chosen) if chosen in LANGUAGES else None


def restore_language(chosen: str | None) -> None:
    if chosen is not None:
        session[_SESSION] = chosen


def language() -> str:
    return str(get_locale() or DEFAULT)


def day(moment: datetime) -> str:
    """A local day as `Sun 1 Nov 2026` in English, `So. 1. Nov. 2026` in German."""
    if language() == DEFAULT:
        return f"{moment:%a} {moment.day} {moment:%b %Y}"
    return format_date(moment, "EEE d. MMM y", locale=language())


def long_day(moment: datetime | date) -> str:
    """A day as `Monday 30 November 2026` in English, `Montag, 30. November 2026` in German."""
    if language() == DEFAULT:
        return f"{moment:%A} {moment.day} {moment:%B %Y}"
    return format_date(moment, "EEEE, d. MMMM y", locale=language())


def choose(code: str) -> None:
    if code in LANGUAGES:
        session[_SESSION] = code


def init(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "ui/translations")
    Babel(app, locale_selector=chosen_language)
