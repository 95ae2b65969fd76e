"""The HTTP layer: pretix's /api/v1 routes; each view parses with a schema, calls a service and dumps with a schema."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_date

from . import schemas
from .errors import BadRequest, KioskError, NotFound
from . import tickets
from .isotime import format_datetime, parse_datetime
from .services import auth, carts, catalog, checkin, events, idempotency, orders, questions, vouchers
from .services.common import order_documents
from .services.resources import EventContext, Resource, catalog_modified
from .services.quotas import availability
from .store import Store, Transaction

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api/v1")

JSON_TYPES = ("application/json", "text/javascript")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ORG = "/organizers/<organizer>"
EVENT = ORG + "/events/<event>"


# ---------------------------------------------------------------------------------------- plumbing


def get_store() -> Store:
    return current_app.extensions["kiosk_tickets.store"]


def now() -> datetime:
    """The current time from the app's injectable clock."""
    return current_app.config["CLOCK"]()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status, mimetype="application/json"
    )
    response.headers.update(headers or {})
    return response


def error_response(error: KioskError) -> Response:
    """Render a typed error as pretix does; the single place error bodies are made."""
    return json_response(error.body(), error.status_code, error.headers())


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# pretix bodies nest a few levels (order > positions > answers > options); far deeper ones parse, but then
# overflow the stack of every recursive copy made of them (store, schemas): refuse them up front.
MAX_JSON_DEPTH = 32


def _check_depth(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"nesting deeper than {MAX_JSON_DEPTH} levels is not supported")
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, depth + 1) for child in children)


def request_json() -> Any:
    """Return the parsed JSON body (an empty body counts as {}); raise BadRequest for anything else."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    mimetype = request.mimetype or ""
    if mimetype not in JSON_TYPES and not mimetype.endswith("+json"):
        raise BadRequest(f'Unsupported media type "{request.content_type or ""}" in request.')
    try:
        parsed = json.loads(raw, parse_constant=_reject_constant)
        _check_depth(parsed)
        if b"\\u" in raw:
            # A lone surrogate ("\ud800") parses, but can be neither stored nor echoed back as UTF-8.
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")
        return parsed
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"JSON parse error - {exc}") from None


def query_args(schema: Schema) -> dict[str, Any]:
    """Validate the query string with `schema`; only the parameters given are returned."""
    # An empty value means "no filter", as django-filter treats it.
    given = {key: value for key, value in request.args.items() if key in schema.fields and value != ""}
    return schemas.load(schema, given, partial=True) if given else {}


def _page_url(page: int | None) -> str:
    args = request.args.to_dict()
    args.pop("page", None)
    if page is not None and page > 1:
        args["page"] = str(page)
    query = urlencode(args)
    return request.base_url + (f"?{query}" if query else "")


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


def paginate(docs: list[dict], present: Callable[[dict], dict], schema: Schema) -> Response:
    """Answer with pretix's pagination envelope; only the requested page is presented and dumped."""
    page, size = page_parameters()
    start = (page - 1) * size
    if start >= len(docs) and page != 1:
        raise NotFound("Invalid page.")
    chunk = docs[start : start + size]
    return json_response(
        {
            "count": len(docs),
            "next": _page_url(page + 1) if start + size < len(docs) else None,
            "previous": _page_url(page - 1) if page > 1 else None,
            "results": schema.dump([present(doc) for doc in chunk], many=True),
        }
    )


def conditional_list(modified: datetime | None, build: Callable[[], Response]) -> Response:
    """Answer 304 if the list has not changed since If-Modified-Since; else build it, with Last-Modified.

    HTTP dates count whole seconds, and two changes within one second would share any date taken from
    the first. So a 304 needs If-Modified-Since at or after the last change rounded up to the second, and
    that date is only sent once its second is over; until then the rounded-down date goes out, which can
    never produce a 304.
    """
    if modified is None:
        return build()
    whole = modified.replace(microsecond=0)
    settled = whole + timedelta(seconds=1) if modified.microsecond else whole
    since = parse_date(request.headers.get("If-Modified-Since"))
    if since is not None and since >= settled:
        return Response(status=304)
    response = build()
    response.last_modified = settled if now() >= settled else whole
    return response


def endpoint(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Run the view in one store transaction after authentication and scope resolution.

    The view is called as view(tx, scope, **url_arguments). Writes that carry an X-Idempotency-Key are
    answered from the store if seen before; otherwise their response is stored in the same transaction
    as the change itself, so a retry can never repeat a sale. A failed write (4xx) leaves nothing behind,
    unless its response says `keep_writes`: a refused scan is recorded in the check-in history.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def run(**kwargs: Any) -> Response:
            key = request.headers.get("X-Idempotency-Key") if request.method in WRITE_METHODS else None
            moment = now()
            with get_store().transaction() as tx:
                keep = timedelta(hours=current_app.config["IDEMPOTENCY_HOURS"])
                if key:
                    identity = hashlib.sha256((request.headers.get("Authorization") or "").encode()).hexdigest()
                    stored = idempotency.recall(tx, identity, key, moment, keep)
                    if stored is not None:
                        return current_app.response_class(
                            stored["body"], status=stored["status"], mimetype=stored["mimetype"], headers=stored["headers"]
                        )
                savepoint = get_store().savepoint()
                try:
                    response = _run_view(view, tx, permission, kwargs)
                except KioskError as error:
                    if not key:
                        raise
                    response = error_response(error)
                if response.status_code >= 400 and not getattr(response, "keep_writes", False):
                    get_store().rollback_to(savepoint)
                if key:
                    idempotency.remember(tx, identity, key, _recordable(response), moment, keep)
                return response

        return run

    return decorate


def _run_view(view: Callable[..., Any], tx: Transaction, permission: str, kwargs: dict[str, Any]) -> Response:
    token = auth.authenticate(tx, request.headers.get("Authorization"))
    organizer_slug = kwargs.pop("organizer", None)
    if organizer_slug is None:
        return view(tx, token, **kwargs)
    organizer = events.organizer_by_slug(tx, organizer_slug)
    auth.require(token, organizer["slug"], permission)
    event_slug = kwargs.pop("event", None)
    event = events.event_by_slug(tx, organizer, event_slug) if event_slug is not None else None
    return view(tx, EventContext(organizer, event), **kwargs)


def _recordable(response: Response) -> dict[str, Any]:
    headers = {name: value for name, value in response.headers.items() if name in ("Location", "Retry-After")}
    return {
        "status": response.status_code,
        "body": response.get_data(as_text=True),
        "mimetype": response.mimetype,
        "headers": headers,
    }


# ---------------------------------------------------------------------------------------- generic collections


PARENTS: dict[str, Resource] = {"item": catalog.ITEMS, "question": questions.QUESTIONS}


def _with_parent(tx: Transaction, scope: EventContext, kwargs: dict[str, Any]) -> EventContext:
    """Resolve a nested resource's parent from the URL (404 if it is not an object of the event)."""
    for name, resource in PARENTS.items():
        if name in kwargs:
            return EventContext(scope.organizer, scope.event, resource.get(tx, scope, kwargs.pop(name)))
    return scope


def register_collection(
    rule: str,
    name: str,
    resource: Resource,
    schema: type[Schema],
    *,
    read: str = "catalog.read",
    write: str = "catalog.write",
    query: type[Schema] | None = None,
    update_schema: type[Schema] | None = None,
    conditional: bool = False,
) -> None:
    """Add list, create, detail, update (PATCH/PUT) and delete views for one resource.

    With `conditional`, the list sends Last-Modified and answers If-Modified-Since (pretix does so for the
    catalog lists), except when it shows availability, which changes with every sale.
    """
    update_schema = update_schema or schema

    def present(tx: Transaction, scope: EventContext) -> Callable[[dict], dict]:
        moment = now()
        options = query_args(schemas.instance(query)) if query else {}
        return lambda doc: resource.present(tx, scope, doc, moment, options)

    @endpoint(read)
    def list_view(tx: Transaction, scope: EventContext, **kwargs: Any) -> Response:
        scope = _with_parent(tx, scope, kwargs)
        filters = query_args(schemas.instance(query)) if query else {}

        def build() -> Response:
            docs = resource.list(tx, scope, filters, request.args.get("ordering"))
            return paginate(docs, present(tx, scope), schemas.instance(schema))

        if conditional and not filters.get("with_availability"):
            return conditional_list(catalog_modified(scope.event), build)
        return build()

    @endpoint(write)
    def create_view(tx: Transaction, scope: EventContext, **kwargs: Any) -> Response:
        scope = _with_parent(tx, scope, kwargs)
        doc = resource.create(tx, scope, schemas.load(schemas.instance(schema), request_json()), now())
        return json_response(schemas.instance(schema).dump(present(tx, scope)(doc)), 201)

    @endpoint(read)
    def detail_view(tx: Transaction, scope: EventContext, object_id: str, **kwargs: Any) -> Response:
        scope = _with_parent(tx, scope, kwargs)
        return json_response(schemas.instance(schema).dump(present(tx, scope)(resource.get(tx, scope, object_id))))

    @endpoint(write)
    def update_view(tx: Transaction, scope: EventContext, object_id: str, **kwargs: Any) -> Response:
        scope = _with_parent(tx, scope, kwargs)
        doc = resource.get(tx, scope, object_id)
        changes = schemas.load(schemas.instance(update_schema), request_json(), partial=request.method == "PATCH")
        updated = resource.update(tx, scope, doc, changes, now())
        return json_response(schemas.instance(schema).dump(present(tx, scope)(updated)))

    @endpoint(write)
    def delete_view(tx: Transaction, scope: EventContext, object_id: str, **kwargs: Any) -> Response:
        scope = _with_parent(tx, scope, kwargs)
        resource.delete(tx, scope, resource.get(tx, scope, object_id), now())
        return Response(status=204)

    api.add_url_rule(rule, f"{name}_list", list_view, methods=["GET"])
    api.add_url_rule(rule, f"{name}_create", create_view, methods=["POST"])
    detail = rule + "<object_id>/"
    api.add_url_rule(detail, f"{name}_detail", detail_view, methods=["GET"])
    api.add_url_rule(detail, f"{name}_update", update_view, methods=["PATCH", "PUT"])
    api.add_url_rule(detail, f"{name}_delete", delete_view, methods=["DELETE"])


register_collection(
    EVENT + "/categories/", "categories", catalog.CATEGORIES, schemas.CategorySchema,
    query=schemas.CategoryListQuery, conditional=True,
)
register_collection(EVENT + "/taxrules/", "taxrules", catalog.TAXRULES, schemas.TaxRuleSchema, conditional=True)
register_collection(
    EVENT + "/items/", "items", catalog.ITEMS, schemas.ItemSchema,
    query=schemas.ItemListQuery, update_schema=schemas.ItemUpdateSchema, conditional=True,
)
register_collection(
    EVENT + "/items/<item>/variations/", "variations", catalog.VARIATIONS, schemas.VariationSchema,
    query=schemas.VariationListQuery,
)
register_collection(EVENT + "/items/<item>/addons/", "addons", catalog.ADDONS, schemas.AddOnSchema)
register_collection(EVENT + "/items/<item>/bundles/", "bundles", catalog.BUNDLES, schemas.BundleSchema)
register_collection(
    EVENT + "/quotas/", "quotas", catalog.QUOTAS, schemas.QuotaSchema, query=schemas.QuotaListQuery, conditional=True,
)
register_collection(
    EVENT + "/questions/", "questions", questions.QUESTIONS, schemas.QuestionSchema,
    query=schemas.QuestionListQuery, conditional=True,
)
register_collection(EVENT + "/questions/<question>/options/", "options", questions.OPTIONS, schemas.QuestionOptionSchema)
register_collection(EVENT + "/vouchers/", "vouchers", vouchers.VOUCHERS, schemas.VoucherSchema, query=schemas.VoucherListQuery)


# ---------------------------------------------------------------------------------------- organizers and events


def _organizer_out(organizer: dict) -> dict:
    return {**organizer, "public_url": f"{request.host_url}{organizer['slug']}/"}


@api.get("/organizers/")
@endpoint("organizer.read")
def organizer_list(tx: Transaction, token: dict) -> Response:
    organizers = tx.find("organizers", slug=token["organizer"])
    ordering = request.args.get("ordering")
    organizers = order_documents(organizers, ordering, ("slug", "name"), "slug")
    return paginate(organizers, _organizer_out, schemas.instance(schemas.OrganizerSchema))


@api.get(ORG + "/")
@endpoint("organizer.read")
def organizer_detail(tx: Transaction, scope: EventContext) -> Response:
    return json_response(schemas.instance(schemas.OrganizerSchema).dump(_organizer_out(scope.organizer)))


def _event_out(tx: Transaction, scope: EventContext) -> Callable[[dict], dict]:
    moment = now()
    return lambda event: {
        **events.EVENTS.present(tx, scope, event, moment, {}),
        "public_url": f"{request.host_url}{scope.organizer['slug']}/{event['slug']}/",
    }


@api.get(ORG + "/events/")
@endpoint("organizer.read")
def event_list(tx: Transaction, scope: EventContext) -> Response:
    filters = {**query_args(schemas.instance(schemas.EventListQuery)), "now": now()}
    found = events.EVENTS.list(tx, scope, filters, request.args.get("ordering"))
    return paginate(found, _event_out(tx, scope), schemas.instance(schemas.EventSchema, ("valid_keys",)))


@api.post(ORG + "/events/")
@endpoint("events.write")
def event_create(tx: Transaction, scope: EventContext) -> Response:
    event = events.EVENTS.create(tx, scope, schemas.load(schemas.instance(schemas.EventSchema), request_json()), now())
    return json_response(schemas.instance(schemas.EventSchema).dump(_event_out(tx, scope)(event)), 201)


@api.get(EVENT + "/")
@endpoint("organizer.read")
def event_detail(tx: Transaction, scope: EventContext) -> Response:
    return json_response(schemas.instance(schemas.EventSchema).dump(_event_out(tx, scope)(scope.event)))


@api.route(EVENT + "/", methods=["PATCH", "PUT"])
@endpoint("events.write")
def event_update(tx: Transaction, scope: EventContext) -> Response:
    changes = schemas.load(schemas.instance(schemas.EventSchema), request_json(), partial=request.method == "PATCH")
    event = events.EVENTS.update(tx, scope, scope.event, changes, now())
    return json_response(schemas.instance(schemas.EventSchema).dump(_event_out(tx, scope)(event)))


@api.delete(EVENT + "/")
@endpoint("events.write")
def event_delete(tx: Transaction, scope: EventContext) -> Response:
    events.EVENTS.delete(tx, scope, scope.event, now())
    return Response(status=204)


# ---------------------------------------------------------------------------------------- quotas and vouchers


@api.get(EVENT + "/quotas/<object_id>/availability/")
@endpoint("catalog.read")
def quota_availability(tx: Transaction, scope: EventContext, object_id: str) -> Response:
    quota = catalog.QUOTAS.get(tx, scope, object_id)
    return json_response(schemas.instance(schemas.AvailabilitySchema).dump(availability(tx, quota, now())))


@api.post(EVENT + "/vouchers/batch_create/")
@endpoint("catalog.write")
def voucher_batch_create(tx: Transaction, scope: EventContext) -> Response:
    body = request_json()
    if not isinstance(body, list):
        raise schemas.ValidationFailed.non_field(f'Expected a list of items but got type "{type(body).__name__}".')
    loaded, failures = [], []
    for entry in body:
        try:
            loaded.append(schemas.load(schemas.instance(schemas.VoucherSchema), entry))
            failures.append({})
        except schemas.ValidationFailed as failure:
            failures.append(failure.detail)
    if any(failures):
        raise schemas.ValidationFailed(failures)
    created = vouchers.VOUCHERS.batch_create(tx, scope, loaded, now())
    return json_response(schemas.instance(schemas.VoucherSchema).dump(created, many=True), 201)


# ---------------------------------------------------------------------------------------- cart positions


def _settings(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event's settings over the server's configured defaults."""
    defaults = {
        "reservation_time": current_app.config["RESERVATION_MINUTES"],
        "payment_term_days": current_app.config["PAYMENT_TERM_DAYS"],
    }
    return events.event_settings(event, defaults)


def _reservation(scope: EventContext) -> timedelta:
    return timedelta(minutes=_settings(scope.event)["reservation_time"])


@api.get(EVENT + "/settings/")
@endpoint("catalog.read")
def event_settings(tx: Transaction, scope: EventContext) -> Response:
    values = _settings(scope.event)
    schema = schemas.instance(schemas.EventSettingsSchema)
    if query_args(schemas.instance(schemas.ExplainQuery)).get("explain"):
        return json_response(schemas.explained(schema, values))
    return json_response(schema.dump(values))


@api.patch(EVENT + "/settings/")
@endpoint("events.write")
def event_settings_update(tx: Transaction, scope: EventContext) -> Response:
    changes = schemas.load(schemas.instance(schemas.EventSettingsSchema), request_json(), partial=True)
    events.update_event_settings(tx, scope.event, changes)
    event = tx.get("events", scope.event["id"])
    return json_response(schemas.instance(schemas.EventSettingsSchema).dump(_settings(event)))


def _cart_out(position: dict) -> dict:
    presented = carts.present(position)
    for nested in ("addons", "bundled"):
        if nested in position:
            presented[nested] = [carts.present(child) for child in position[nested]]
    return presented


@api.get(EVENT + "/cartpositions/")
@endpoint("carts.read")
def cart_list(tx: Transaction, scope: EventContext) -> Response:
    response = paginate(carts.list_positions(tx, scope), carts.present, schemas.instance(schemas.CartPositionSchema))
    response.headers["X-Page-Generated"] = format_datetime(now())
    return response


@api.get(EVENT + "/cartpositions/<object_id>/")
@endpoint("carts.read")
def cart_detail(tx: Transaction, scope: EventContext, object_id: str) -> Response:
    position = carts.get(tx, scope, object_id)
    return json_response(schemas.instance(schemas.CartPositionSchema).dump(carts.present(position)))


@api.post(EVENT + "/cartpositions/")
@endpoint("carts.write")
def cart_create(tx: Transaction, scope: EventContext) -> Response:
    data = schemas.load(schemas.instance(schemas.CartPositionCreateSchema), request_json())
    position = carts.create(tx, scope, data, now(), _reservation(scope))
    return json_response(schemas.instance(schemas.CartPositionCreatedSchema).dump(_cart_out(position)), 201)


@api.post(EVENT + "/cartpositions/bulk_create/")
@endpoint("carts.write")
def cart_bulk_create(tx: Transaction, scope: EventContext) -> Response:
    body = request_json()
    if not isinstance(body, list):
        raise schemas.ValidationFailed.non_field(f'Expected a list of items but got type "{type(body).__name__}".')
    entries: list[dict | schemas.ValidationFailed] = []
    for entry in body:
        try:
            entries.append(schemas.load(schemas.instance(schemas.CartPositionCreateSchema), entry))
        except schemas.ValidationFailed as failure:
            entries.append(failure)
    results = carts.bulk_create(tx, scope, entries, now(), _reservation(scope))
    created_schema = schemas.instance(schemas.CartPositionCreatedSchema)
    for result in results:
        if result["data"] is not None:
            result["data"] = created_schema.dump(_cart_out(result["data"]))
    return json_response({"results": results})


@api.delete(EVENT + "/cartpositions/<object_id>/")
@endpoint("carts.write")
def cart_delete(tx: Transaction, scope: EventContext, object_id: str) -> Response:
    carts.delete(tx, scope, carts.get(tx, scope, object_id))
    return Response(status=204)


# ---------------------------------------------------------------------------------------- orders


def _urls(scope: EventContext) -> Callable[[str, Any], str]:
    """Absolute URLs for download links and the order page, built from this request's host."""
    base = f"{request.host_url}api/v1/organizers/{scope.organizer['slug']}/events/{scope.event['slug']}"
    shop = f"{request.host_url}{scope.organizer['slug']}/{scope.event['slug']}"

    def url_for(kind: str, key: Any) -> str:
        if kind == "order":
            return f"{base}/orders/{key}/download/pdf/"
        if kind == "position":
            return f"{base}/orderpositions/{key}/download/pdf/"
        return f"{shop}/order/{key}/"

    return url_for


def _order_response(tx: Transaction, scope: EventContext, order: dict, status: int = 200) -> Response:
    include = bool(query_args(schemas.instance(schemas.OrderListQuery)).get("include_canceled_positions"))
    presented = orders.present_order(tx, order, _urls(scope), include_canceled=include)
    return json_response(schemas.instance(schemas.OrderSchema).dump(presented), status)


def _order(tx: Transaction, scope: EventContext, code: str) -> dict:
    return orders.get(tx, scope, code, now())


@api.get(EVENT + "/orders/")
@endpoint("orders.read")
def order_list(tx: Transaction, scope: EventContext) -> Response:
    generated = now()
    filters = query_args(schemas.instance(schemas.OrderListQuery))
    found = orders.list_orders(tx, scope, filters, request.args.get("ordering"), generated)
    urls = _urls(scope)
    include = bool(filters.get("include_canceled_positions"))
    response = paginate(
        found, lambda order: orders.present_order(tx, order, urls, include), schemas.instance(schemas.OrderSchema)
    )
    response.headers["X-Page-Generated"] = format_datetime(generated)
    return response


@api.get(EVENT + "/orders/<code>/")
@endpoint("orders.read")
def order_detail(tx: Transaction, scope: EventContext, code: str) -> Response:
    return _order_response(tx, scope, _order(tx, scope, code))


@api.post(EVENT + "/orders/")
@endpoint("orders.create")
def order_create(tx: Transaction, scope: EventContext) -> Response:
    data = schemas.load(schemas.instance(schemas.OrderCreateSchema), request_json())
    settings = orders.OrderSettings(payment_term=timedelta(days=_settings(scope.event)["payment_term_days"]))
    if data["simulate"]:
        preview = orders.simulate(tx, scope, data, now(), settings, _urls(scope))
        return json_response(schemas.instance(schemas.OrderSchema).dump(preview), 201)
    return _order_response(tx, scope, orders.create(tx, scope, data, now(), settings), 201)


@api.route(EVENT + "/orders/<code>/", methods=["PATCH"])
@endpoint("orders.write")
def order_update(tx: Transaction, scope: EventContext, code: str) -> Response:
    # Not partial: no field is required, and a new invoice address gets its defaults like one sent on create.
    changes = schemas.load(schemas.instance(schemas.OrderUpdateSchema), request_json())
    return _order_response(tx, scope, orders.update(tx, _order(tx, scope, code), changes, now()))


@api.delete(EVENT + "/orders/<code>/")
@endpoint("orders.write")
def order_delete(tx: Transaction, scope: EventContext, code: str) -> Response:
    orders.delete(tx, _order(tx, scope, code))
    return Response(status=204)


def _register_transitions() -> None:
    """POST …/orders/<code>/<action>/: status changes, each answering with the changed order."""
    simple = {
        "mark_paid": ("orders.status", orders.mark_paid),
        "mark_pending": ("orders.write", orders.mark_pending),
        "mark_expired": ("orders.write", orders.mark_expired),
        "reactivate": ("orders.write", orders.reactivate),
        "approve": ("orders.write", orders.approve),
        "deny": ("orders.write", orders.deny),
    }
    for action, (permission, change) in simple.items():

        def transition(tx: Transaction, scope: EventContext, code: str, change: Callable[..., dict] = change) -> Response:
            request_json()  # pretix accepts options such as send_email here; none changes what happens
            return _order_response(tx, scope, change(tx, _order(tx, scope, code), now()))

        api.add_url_rule(EVENT + f"/orders/<code>/{action}/", f"order_{action}", endpoint(permission)(transition),
                         methods=["POST"])


_register_transitions()


@api.post(EVENT + "/orders/<code>/mark_canceled/")
@endpoint("orders.status")
def order_mark_canceled(tx: Transaction, scope: EventContext, code: str) -> Response:
    options = schemas.load(schemas.instance(schemas.OrderCancelSchema), request_json())
    order = orders.mark_canceled(tx, _order(tx, scope, code), now(), options["cancellation_fee"])
    return _order_response(tx, scope, order)


@api.post(EVENT + "/orders/<code>/extend/")
@endpoint("orders.write")
def order_extend(tx: Transaction, scope: EventContext, code: str) -> Response:
    options = schemas.load(schemas.instance(schemas.OrderExtendSchema), request_json())
    until = date.fromisoformat(options["expires"])
    order = orders.extend(tx, _order(tx, scope, code), now(), until, options["force"], scope.event["timezone"])
    return _order_response(tx, scope, order)


def _pdf(tx: Transaction, order: dict, positions: list[dict], filename: str) -> Response:
    rendered = tickets.render(
        [tickets.Ticket(**orders.ticket_fields(tx, order, position)) for position in positions],
        created=parse_datetime(order["datetime"]),
        page_format=current_app.config["TICKET_PAGE_FORMAT"],
    )
    response = current_app.response_class(rendered, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response


@api.get(EVENT + "/orders/<code>/download/<output>/")
@endpoint("tickets.download")
def order_download(tx: Transaction, scope: EventContext, code: str, output: str) -> Response:
    order = _order(tx, scope, code)
    if output != "pdf":
        raise NotFound()
    return _pdf(tx, order, orders.tickets_of(tx, order), f"{scope.event['slug']}-{order['code']}")


@api.get(EVENT + "/orderpositions/")
@endpoint("orders.read")
def position_list(tx: Transaction, scope: EventContext) -> Response:
    generated = now()
    filters = query_args(schemas.instance(schemas.OrderPositionListQuery))
    found = orders.list_positions(tx, scope, filters, request.args.get("ordering"), generated)
    urls = _urls(scope)
    response = paginate(
        found,
        lambda position: orders.present_position(tx, position, tx.get("orders", position["order"]), urls),
        schemas.instance(schemas.OrderPositionSchema),
    )
    response.headers["X-Page-Generated"] = format_datetime(generated)
    return response


@api.get(EVENT + "/orderpositions/<object_id>/")
@endpoint("orders.read")
def position_detail(tx: Transaction, scope: EventContext, object_id: str) -> Response:
    position = orders.get_position(tx, scope, object_id, now())
    presented = orders.present_position(tx, position, tx.get("orders", position["order"]), _urls(scope))
    return json_response(schemas.instance(schemas.OrderPositionSchema).dump(presented))


@api.get(EVENT + "/orderpositions/<object_id>/download/<output>/")
@endpoint("tickets.download")
def position_download(tx: Transaction, scope: EventContext, object_id: str, output: str) -> Response:
    position = orders.get_position(tx, scope, object_id, now())
    if output != "pdf":
        raise NotFound()
    order = tx.get("orders", position["order"])
    tickets_to_print = orders.tickets_of(tx, order, position)
    return _pdf(tx, order, tickets_to_print, f"{scope.event['slug']}-{order['code']}-{position['positionid']}")


# ---------------------------------------------------------------------------------------- check-in

register_collection(
    EVENT + "/checkinlists/", "checkinlists", checkin.CHECKIN_LISTS, schemas.CheckinListSchema,
    read="checkin", write="catalog.write",
)


@api.get(EVENT + "/checkinlists/<object_id>/status/")
@endpoint("checkin")
def checkinlist_status(tx: Transaction, scope: EventContext, object_id: str) -> Response:
    return json_response(checkin.status(tx, checkin.get_list(tx, scope, object_id), now()))


def _scan(data: dict) -> checkin.Scan:
    return checkin.Scan(
        lists=data.get("lists") or [], secret=data.get("secret") or "", type=data["type"], force=data["force"],
        ignore_unpaid=data["ignore_unpaid"], questions_supported=data["questions_supported"],
        nonce=data["nonce"], datetime=data["datetime"], answers=data["answers"],
    )


def _scan_response(tx: Transaction, scope: EventContext, outcome: checkin.Outcome) -> Response:
    event = tx.get("events", outcome.checkin_list["event"]) if outcome.checkin_list else scope.event
    urls = _urls(EventContext(scope.organizer, event)) if event else (lambda kind, key: "")
    body = checkin.present_scan(tx, outcome, urls)
    if "position" in body:
        # The order position resource's fields only (no stored internals), plus the scan's own additions.
        extras = ("require_attention", "order__status", "order__valid_if_pending", "order__require_approval", "order__locale")
        position = body["position"]
        body["position"] = {**schemas.instance(schemas.OrderPositionSchema).dump(position), **{k: position[k] for k in extras}}
    if "questions" in body:
        body["questions"] = schemas.instance(schemas.QuestionSchema).dump(body["questions"], many=True)
    response = json_response(body, outcome.http_status)
    response.keep_writes = outcome.recorded  # a refused scan is an answer, and its record stays
    return response


@api.post(ORG + "/checkinrpc/redeem/")
@endpoint("checkin")
def checkin_redeem(tx: Transaction, scope: EventContext) -> Response:
    data = schemas.load(schemas.instance(schemas.RedeemRpcSchema), request_json())
    lists = checkin.lists_for_scan(tx, scope.organizer, data.get("lists") or [])
    return _scan_response(tx, scope, checkin.redeem(tx, lists, _scan(data), now()))


@api.post(EVENT + "/checkinlists/<list_id>/positions/<lookup>/redeem/")
@endpoint("checkin")
def checkin_redeem_legacy(tx: Transaction, scope: EventContext, list_id: str, lookup: str) -> Response:
    checkin_list = checkin.get_list(tx, scope, list_id)
    untrusted = query_args(schemas.instance(schemas.UntrustedInputQuery)).get("untrusted_input", False)
    position = checkin.position_on_list(tx, scope, checkin_list, lookup, untrusted)
    data = schemas.load(schemas.instance(schemas.RedeemSchema), request_json())
    scan = _scan({**data, "secret": position["secret"]})
    return _scan_response(tx, scope, checkin.redeem(tx, [checkin_list], scan, now()))


@api.route(ORG + "/checkinrpc/search/", methods=["GET", "POST"])
@endpoint("checkin")
def checkin_search(tx: Transaction, scope: EventContext) -> Response:
    if request.method == "POST":
        # The same search with its parameters in a JSON body: {"lists": [1], "search": "…", …}.
        body = schemas.load(schemas.instance(schemas.CheckinSearchBodySchema), request_json())
        list_ids, filters, ordering = body.pop("lists"), body, body.pop("ordering", None)
    else:
        list_ids = [_int_arg(value, "list") for value in request.args.getlist("list")]
        filters, ordering = query_args(schemas.instance(schemas.CheckinSearchQuery)), request.args.get("ordering")
    lists = checkin.lists_for_scan(tx, scope.organizer, list_ids)
    found = checkin.search(tx, lists, filters, ordering, filters.get("ignore_status", False), now())
    return paginate(found, lambda position: _position_out(tx, scope, position), schemas.instance(schemas.OrderPositionSchema))


@api.get(EVENT + "/checkinlists/<list_id>/positions/")
@endpoint("checkin")
def checkinlist_positions(tx: Transaction, scope: EventContext, list_id: str) -> Response:
    checkin_list = checkin.get_list(tx, scope, list_id)
    filters = query_args(schemas.instance(schemas.CheckinSearchQuery))
    found = checkin.search(tx, [checkin_list], filters, request.args.get("ordering"), filters.get("ignore_status", False), now())
    return paginate(found, lambda position: _position_out(tx, scope, position), schemas.instance(schemas.OrderPositionSchema))


@api.get(EVENT + "/checkins/")
@endpoint("checkin")
def checkin_history(tx: Transaction, scope: EventContext) -> Response:
    filters = query_args(schemas.instance(schemas.CheckinHistoryQuery))
    found = checkin.history(tx, scope, filters, request.args.get("ordering"))
    return paginate(found, dict, schemas.instance(schemas.CheckinHistorySchema))


def _position_out(tx: Transaction, scope: EventContext, position: dict) -> dict:
    event = tx.get("events", position["event"])
    full = tx.get("orderpositions", position["id"])
    return orders.present_position(tx, full, tx.get("orders", full["order"]), _urls(EventContext(scope.organizer, event)))


def _int_arg(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise schemas.ValidationFailed.field(name, "A valid integer is required.") from None


# ---------------------------------------------------------------------------------------- error handling


def register_error_handlers(app: Flask) -> None:
    """Turn every error into pretix's JSON body: typed errors, HTTP errors of routing, and the unexpected."""

    @app.errorhandler(KioskError)
    def handle_kiosk_error(error: KioskError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        messages = {
            404: "Not found.",
            405: f'Method "{request.method}" not allowed.',
            413: "Request body too large.",
        }
        response = json_response({"detail": messages.get(error.code or 500, error.description)}, error.code or 500)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        return json_response({"detail": "A server error occurred."}, 500)
