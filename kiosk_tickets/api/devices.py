"""Routes of devices: the organizer's devices resource, and the device API the scanning apps speak
(pairing, info, update, roll, revoke, the event suggestion, the server version).

The device paths have no trailing slash in pretix, and the apps call them so; both spellings are served.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response

from .. import schemas
from ..errors import PermissionDenied
from ..services import devices
from ..services.events import live_event_suggestion
from ..store import Transaction
from .endpoint import RequestContext, endpoint, object_answer
from .http import json_response
from .pagination import Listing
from .urls import ORG, bp

# The pretix release whose API this server follows, as the apps read it: at 4.12 and later they scan
# through the check-in RPC, which can search several events' lists at once.
PRETIX_VERSION = {"pretix": "2026.8.0", "pretix_numeric": 20260080005000}


def _device_route(rule: str, methods: list[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve `rule` as the apps call it (no trailing slash) and with one, without a redirect."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(rule, view_func=view, methods=methods)
        bp.add_url_rule(rule + "/", endpoint=view.__name__ + "_slash", view_func=view, methods=methods)
        return view

    return register


def _device(tx: Transaction, ctx: RequestContext) -> dict:
    """The device that asks; only a device may use its own API."""
    if ctx.principal.device is None:
        raise PermissionDenied()
    return devices.device_of(tx, ctx.principal)


def _self(device: dict, api_token: str | None = None) -> dict:
    """The device as it sees itself; its API token only in the answer that hands it out."""
    shown = {**device, "gate": None}
    if api_token is not None:
        shown["api_token"] = api_token
    return shown


# ---------------------------------------------------------------------------------------- organizer's devices


@bp.get(ORG + "/devices/")
@endpoint("devices.manage", dump=schemas.DeviceSchema, listing=True)
def device_list(tx: Transaction, ctx: RequestContext) -> Listing:
    return Listing(devices.devices_of(tx, ctx.organizer))


@bp.post(ORG + "/devices/")
@endpoint("devices.manage", body=schemas.DeviceSchema, dump=schemas.DeviceSchema, status=201)
def device_create(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    return devices.create_device(tx, ctx.organizer, body, ctx.now)


@bp.get(ORG + "/devices/<device_id>/")
@endpoint("devices.manage", dump=schemas.DeviceSchema)
def device_detail(tx: Transaction, ctx: RequestContext, device_id: str) -> dict:
    return devices.get_device(tx, ctx.organizer, device_id)


@bp.patch(ORG + "/devices/<device_id>/")
@endpoint("devices.manage", body=schemas.DeviceUpdateSchema, dump=schemas.DeviceSchema)
def device_update(tx: Transaction, ctx: RequestContext, device_id: str, body: dict) -> dict:
    device = devices.get_device(tx, ctx.organizer, device_id)
    return devices.update_device(tx, ctx.organizer, device, body)


# ---------------------------------------------------------------------------------------- the device API


@_device_route("/device/initialize", ["POST"])
@endpoint("device", public=True, body=schemas.InitializationRequestSchema, dump=schemas.DeviceSelfSchema)
def device_initialize(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    """Pairing: the app has no credential yet, only the initialization token it was shown."""
    device, api_token = devices.initialize(tx, body, ctx.now)
    return _self(device, api_token)


@_device_route("/device/info", ["GET"])
@endpoint("device", responses={200: object_answer("The device, the server's version and the medium key sets")})
def device_info(tx: Transaction, ctx: RequestContext) -> Response:
    device = _self(_device(tx, ctx))
    shown = schemas.dump(schemas.DeviceSelfSchema, device)
    return json_response({"device": shown, "server": {"version": PRETIX_VERSION}, "medium_key_sets": []})


@_device_route("/device/update", ["POST"])
@endpoint("device", body=schemas.DeviceReportSchema, dump=schemas.DeviceSelfSchema, partial=False)
def device_update_self(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    return _self(devices.report(tx, _device(tx, ctx), body))


@_device_route("/device/roll", ["POST"])
@endpoint("device", body=schemas.NoOptionsSchema, dump=schemas.DeviceSelfSchema)
def device_roll(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    device, api_token = devices.roll(tx, _device(tx, ctx))
    return _self(device, api_token)


@_device_route("/device/revoke", ["POST"])
@endpoint("device", body=schemas.NoOptionsSchema, dump=schemas.DeviceSelfSchema)
def device_revoke(tx: Transaction, ctx: RequestContext, body: dict) -> dict:
    return _self(devices.revoke(tx, _device(tx, ctx)))


@_device_route("/device/eventselection", ["GET"])
@endpoint(
    "device",
    query=schemas.EventSelectionQuery,
    responses={
        200: object_answer("The event (and check-in list) the device should switch to"),
        304: {"description": "Keep the current selection"},
    },
)
def device_eventselection(tx: Transaction, ctx: RequestContext, query: dict) -> Response:
    """Suggest the running or next live event of the device, with its first check-in list."""
    device = _device(tx, ctx)
    suggestion = live_event_suggestion(tx, device["organizer"], ctx.principal.sees_event, ctx.now)
    if suggestion is None:
        return Response(status=304)
    event, checkin_list = suggestion
    if event["slug"] == query.get("current_event") and (
        checkin_list is None or query.get("current_checkinlist") in (None, checkin_list)
    ):
        return Response(status=304)
    return json_response(
        {
            "event": {"slug": event["slug"], "name": event["name"]},
            "subevent": None,
            "checkinlist": checkin_list,
        }
    )


@_device_route("/version", ["GET"])
@endpoint("device", responses={200: object_answer("The pretix version this server's API follows")})
def version(tx: Transaction, ctx: RequestContext) -> Response:
    return json_response(PRETIX_VERSION)
