"""The request pipeline of the pretix API: one store transaction per request, the principal and its
permission, the event the URL names, the route's declared schemas, and X-Idempotency-Key.

A route declares what it reads and what it answers:

    @bp.post(EVENT + "/cartpositions/")
    @endpoint("carts.write", body=CartPositionCreateSchema, dump=CartPositionCreatedSchema, status=201)
    def cart_create(tx, ctx, body): ...

The view is called as view(tx, ctx, **url_arguments, [body=…], [query=…]) and returns a value to dump
with `dump` (a `Listing` is paginated, None answers 204), a ready Response, or `AfterCommit` for slow
work that must not hold the store (it runs once the transaction is over). With `lookup`, the URL's
objects are found before the body is read (so a missing object is a 404 whatever the body, as in pretix)
and the view is called as view(tx, ctx, found, [body=…], [query=…]). A view that raises a KioskError
leaves nothing behind: its writes are rolled back to the savepoint taken before it ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, request
from marshmallow import Schema

from .. import schemas
from ..context import get_store, now
from ..errors import KioskError, NotAuthenticated, PermissionDenied, ValidationFailed
from ..services import auth, devices
from ..services.events import event_by_slug, organizer_by_slug
from ..services.resources import EventContext
from ..store import Transaction
from . import idempotency
from .errors import error_response
from .http import json_response, query_args, request_json
from .pagination import Listing, paginate

# How each scheme of the Authorization header is turned into a principal.
AUTHENTICATORS: dict[str, Callable[[Transaction, str], auth.Principal]] = {
    "token": auth.token_principal,
    "device": devices.device_principal,
}


def object_answer(description: str) -> dict[str, Any]:
    """A documented answer whose body is a JSON object of no declared schema."""
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


PDF_ANSWER = {
    "description": "The tickets as a PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}
NOT_MODIFIED_ANSWER = {"description": "The list has not changed since If-Modified-Since"}


@dataclass(frozen=True)
class AfterCommit:
    """A view's answer that is made after its transaction ends, from what the view read inside it."""

    build: Callable[[], Response]


@dataclass(frozen=True)
class RequestContext:
    """What a view knows beyond its URL arguments: who asks, when, and the organizer and event named."""

    principal: auth.Principal
    now: datetime
    # None only for the routes above every organizer (the organizers list).
    resolved: EventContext | None

    @property
    def target(self) -> EventContext:
        """The organizer and event of the URL; only for routes below an organizer."""
        assert self.resolved is not None, "this route names no organizer"
        return self.resolved

    @property
    def organizer(self) -> Mapping[str, Any]:
        return self.target.organizer

    @property
    def event(self) -> Mapping[str, Any]:
        """The event of the URL; only for routes below one."""
        assert self.target.event is not None, "this route names no event"
        return self.target.event


def authenticate(tx: Transaction, authorization: str | None) -> auth.Principal:
    """The principal of the Authorization header; raise NotAuthenticated if there is none or it is not valid."""
    if not authorization:
        raise NotAuthenticated()
    scheme, _, credential = authorization.strip().partition(" ")
    authenticator = AUTHENTICATORS.get(scheme.lower())
    if authenticator is None or not credential.strip():
        raise NotAuthenticated("Invalid token.")
    return authenticator(tx, credential.strip())


def load_body(schema_class: type[Schema], partial: bool) -> dict[str, Any]:
    return schemas.load(schemas.instance(schema_class), request_json(), partial=partial)


def load_entries(schema_class: type[Schema]) -> list[dict[str, Any] | ValidationFailed]:
    """A list body, each entry loaded on its own: an entry that fails is its ValidationFailed."""
    body = request_json()
    if not isinstance(body, list):
        raise ValidationFailed.non_field(f'Expected a list of items but got type "{type(body).__name__}".')
    schema = schemas.instance(schema_class)
    entries: list[dict[str, Any] | ValidationFailed] = []
    for entry in body:
        try:
            entries.append(schemas.load(schema, entry))
        except ValidationFailed as failure:
            entries.append(failure)
    return entries


def endpoint(
    permission: str,
    *,
    body: type[Schema] | None = None,
    many: bool = False,
    partial: bool | None = None,
    query: type[Schema] | None = None,
    dump: type[Schema] | Schema | None = None,
    status: int = 200,
    lookup: Callable[..., Any] | None = None,
    listing: bool = False,
    responses: dict[int, dict[str, Any]] | None = None,
    public: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Wrap a view in the pipeline (see the module docstring) and keep its schemas on it.

    `body` is loaded from the JSON body (`many`: a list of entries, each loaded on its own; `partial`: fields
    may be left out, by default for PATCH); `query` from the query string; `dump` turns the result into JSON
    (with `listing`, the view returns a `Listing`, paginated in pretix's envelope). `responses` documents the
    answers of a view that makes its own Response (status → OpenAPI response object). A `public` route
    takes no credential (a device's pairing, which is how it gets one) and keeps no idempotency keys.
    """

    dump_schema = dump if isinstance(dump, Schema) or dump is None else schemas.instance(dump)

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def run(**kwargs: Any) -> Response:
            # The body and query string are read and validated before the store is taken: that needs no stored
            # data, and every other request waits for the store while a transaction is open. A refusal is raised
            # where the pipeline hands them to the view, after the credential and URL are checked, as before.
            inputs = _read_inputs()
            store = get_store()
            with store.transaction() as tx:
                # Read inside the transaction, so the moments of writes follow the order they are made in: a
                # device's delta sync ("changed since the moment of my last list") can never miss a write that
                # waited for the store while that list was made.
                moment = now(tx)
                # Who asks comes first: nothing is recalled or remembered for a request without a valid credential.
                if public:
                    principal, replay = auth.ANONYMOUS, None
                else:
                    # The header straight from the WSGI environment: werkzeug's view of it rebuilds the key per read.
                    principal = authenticate(tx, request.environ.get("HTTP_AUTHORIZATION"))
                    replay = idempotency.Replay.begin(tx, principal, moment)
                if replay is not None and replay.stored is not None:
                    return replay.stored
                savepoint = store.savepoint()
                try:
                    result = _run(tx, principal, moment, kwargs, inputs)
                except KioskError as error:
                    if replay is None:
                        raise
                    store.rollback_to(savepoint)
                    result = error_response(error)
                if replay is not None:
                    assert isinstance(result, Response), "a write's answer is made inside its transaction"
                    replay.remember(tx, result, moment)
            # Slow work on what was read (rendering tickets) runs after the store is free for everyone else.
            return result.build() if isinstance(result, AfterCommit) else result

        def _read_inputs() -> dict[str, Any] | KioskError:
            """The route's `body` and `query` as the view takes them, or the error that refuses them."""
            inputs: dict[str, Any] = {}
            try:
                if body is not None:
                    inputs["body"] = load_entries(body) if many else load_body(body, _is_partial())
                if query is not None:
                    inputs["query"] = query_args(query)
            except KioskError as refusal:
                return refusal
            return inputs

        def _run(
            tx: Transaction,
            principal: auth.Principal,
            moment: datetime,
            kwargs: dict[str, Any],
            inputs: dict[str, Any] | KioskError,
        ) -> Response | AfterCommit:
            ctx = RequestContext(principal, moment, _resolve(tx, principal, kwargs))
            args = [lookup(tx, ctx, **kwargs)] if lookup is not None else []
            if isinstance(inputs, KioskError):
                raise inputs
            arguments = {**inputs} if lookup is not None else {**kwargs, **inputs}
            return _respond(view(tx, ctx, *args, **arguments))

        def _is_partial() -> bool:
            return request.method == "PATCH" if partial is None else partial

        def _resolve(tx: Transaction, principal: auth.Principal, kwargs: dict[str, Any]) -> EventContext | None:
            organizer_slug = kwargs.pop("organizer", None)
            if organizer_slug is None:
                return None
            organizer = organizer_by_slug(tx, organizer_slug)
            auth.require(principal, organizer["slug"], permission)
            event_slug = kwargs.pop("event", None)
            event = event_by_slug(tx, organizer, event_slug) if event_slug is not None else None
            if event is not None and not principal.sees_event(event["slug"]):
                raise PermissionDenied()
            return EventContext(organizer, event)

        def _respond(result: Any) -> Response | AfterCommit:
            if isinstance(result, (Response, AfterCommit)):
                return result
            if result is None:
                return Response(status=204)
            assert dump_schema is not None, f"{view.__name__} returns data but declares no dump schema"
            if listing:
                assert isinstance(result, Listing), f"{view.__name__} declares a listing"
                return json_response(paginate(result, dump_schema), headers=result.headers)
            return json_response(schemas.dump(dump_schema, result, many=isinstance(result, list)), status)

        # What the route declares, for the malformed-input tests and the OpenAPI document.
        run.permission = permission  # type: ignore[attr-defined]
        run.body_schema = body  # type: ignore[attr-defined]
        run.body_many = many  # type: ignore[attr-defined]
        run.partial = partial  # type: ignore[attr-defined]
        run.query_schema = query  # type: ignore[attr-defined]
        run.dump_schema = dump  # type: ignore[attr-defined]
        run.status = status  # type: ignore[attr-defined]
        run.listing = listing  # type: ignore[attr-defined]
        run.responses = responses  # type: ignore[attr-defined]
        run.public = public  # type: ignore[attr-defined]
        return run

    return decorate
