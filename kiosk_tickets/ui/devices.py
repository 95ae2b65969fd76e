"""The devices screen (admin): pair a phone running pretixSCAN by showing it a QR code, see which devices
are paired, and revoke one that was lost.

The QR code holds the setup handshake with this server's address as the admin's browser reached it, which
the phones on the same LAN reach too; a browser on the box itself (127.0.0.1) gets the box's LAN address.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import pairing
from ..context import get_store, now
from ..errors import NotFound, ValidationFailed
from ..services import devices
from ..services.auth import Principal
from ..services.common import i18n_text
from ..services.events import organizer_by_slug
from ..store import Transaction
from . import bp
from .auth import screen
from .events import events_of

SCREEN = "devices.manage"


def _server_url() -> str:
    """The address phones should use: the one this browser used, unless that is the box itself."""
    host = request.host.rsplit(":", 1)[0].strip("[]")
    try:
        loopback = host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return request.host_url.rstrip("/")
    try:
        return pairing.server_url(None, (request.server[1] if request.server else None) or 8000)
    except pairing.PairingError:
        return request.host_url.rstrip("/")


def _device(tx: Transaction, principal: Principal, device_id: int) -> dict:
    try:
        return devices.get_device(tx, organizer_by_slug(tx, principal.organizer), device_id)
    except NotFound:
        abort(404, _("There is no such device."))


def _state(device: dict) -> str:
    if device["revoked"]:
        return _("revoked")
    return _("paired") if device["initialized"] else _("waiting to be paired")


def _page(principal: Principal, **extra: Any) -> str:
    with get_store().transaction() as tx:
        organizer = organizer_by_slug(tx, principal.organizer)
        listed = devices.devices_of(tx, organizer)
        events = [(e["slug"], i18n_text(e["name"])) for e in events_of(tx, principal.organizer)]
    names = dict(events)
    rows = [
        {
            "id": d["device_id"],
            "name": d["name"],
            "state": _state(d),
            "revoked": d["revoked"],
            "events": _("all events") if d["all_events"] else ", ".join(names.get(s, s) for s in d["limit_events"]),
            "software": " ".join(filter(None, (d["software_brand"], d["software_version"]))),
        }
        for d in listed
    ]
    return render_template("ui/devices.html", devices=rows, events=events, **extra)


@bp.get("/devices", endpoint="devices")
@screen(SCREEN)
def devices_list(principal: Principal) -> str:
    return _page(principal)


@bp.post("/devices")
@screen(SCREEN)
def devices_create(principal: Principal) -> Response | tuple[str, int]:
    name = request.form.get("name", "").strip()
    chosen = request.form.getlist("events")
    if not name:
        return _page(principal, problem=_("Give the device a name, such as “Door 1”.")), 400
    try:
        with get_store().transaction() as tx:
            organizer = organizer_by_slug(tx, principal.organizer)
            data = {"name": name[:190], "limit_events": chosen, "all_events": not chosen}
            device = devices.create_device(tx, organizer, data, now())
    except ValidationFailed:
        return _page(principal, problem=_("One of the chosen events does not exist any more.")), 400
    return redirect(url_for("ui.devices_pair", device_id=device["device_id"]))


@bp.get("/devices/<int:device_id>")
@screen(SCREEN)
def devices_pair(principal: Principal, device_id: int) -> str | Response:
    """The device's setup QR code, while it waits to be paired."""
    with get_store().transaction() as tx:
        device = _device(tx, principal, device_id)
    if device["initialized"] or device["revoked"]:
        state = _state(device)
        flash(_("Device “%(name)s” is %(state)s; its setup code is used up.", name=device["name"], state=state))
        return redirect(url_for("ui.devices"))
    setup = pairing.handshake(_server_url(), device["initialization_token"])
    import segno  # here, not at the top: its writers cost `serve` some 10 ms of start-up

    qr = Markup(segno.make(setup, error="m").svg_inline(border=4, omitsize=True, title=_("Setup code")))
    return render_template("ui/devices_pair.html", device=device, qr=qr, setup=setup, url=_server_url())


@bp.post("/devices/<int:device_id>/revoke")
@screen(SCREEN)
def devices_revoke(principal: Principal, device_id: int) -> Response:
    with get_store().transaction() as tx:
        device = devices.revoke(tx, _device(tx, principal, device_id))
    flash(_("Device “%(name)s” is revoked: it can no longer sync or scan.", name=device["name"]))
    return redirect(url_for("ui.devices"))
