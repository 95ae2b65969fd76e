"""`kiosk-tickets device`: pair pretixSCAN devices (the setup QR), list and revoke them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import badges, pairing
from ..errors import NotFound, ValidationFailed
from ..services import devices, events
from .common import CommandError, now, open_store


def _device_state(device: dict) -> str:
    return "revoked" if device["revoked"] else "paired" if device["initialized"] else "waiting"


def cmd_device(args: argparse.Namespace) -> int:
    store = open_store(args)
    with store.transaction() as tx:
        organizer = dict(events.organizer_by_slug_or_none(tx, args.organizer) or {})
        if not organizer:
            raise ValidationFailed.field("organizer", f'Organizer "{args.organizer}" does not exist.')
        if args.device_command == "create":
            try:
                url = pairing.server_url(args.url, args.port, args.allow_loopback)
            except pairing.PairingError as error:
                raise CommandError(str(error)) from error
            data = {"name": args.name, "limit_events": args.events, "all_events": not args.events}
            device = devices.create_device(tx, organizer, data, now(tx))
            setup = pairing.handshake(url, device["initialization_token"])
            png = Path(args.qr_png or f"device-{organizer['slug']}-{device['device_id']}.png")
            try:
                badges.write_png(setup, png)
            except badges.BadgeNotWritten as error:
                raise CommandError(str(error)) from error
            badges.print_terminal(setup, sys.stdout)
            print(f"Device {device['device_id']} ({device['name']}) of {organizer['slug']}: scan the code above in")
            print(f"pretixSCAN (Settings, then set up a new device), or the PNG {png}. Its setup, valid once:")
            print(setup)
        elif args.device_command == "list":
            print("ID\tNAME\tSTATE\tEVENTS\tSOFTWARE\tCREATED")
            for device in devices.devices_of(tx, organizer):
                scope = "all" if device["all_events"] else ",".join(device["limit_events"])
                software = " ".join(filter(None, (device["software_brand"], device["software_version"])))
                state = _device_state(device)
                print(f"{device['device_id']}\t{device['name']}\t{state}\t{scope}\t{software}\t{device['created']}")
        else:
            try:
                device = devices.get_device(tx, organizer, args.id)
            except NotFound:
                raise CommandError(f"{organizer['slug']} has no device {args.id}; `device list` shows them.") from None
            already = device["revoked"]
            devices.revoke(tx, device)
            print(f"Device {args.id} was already revoked." if already else f"Device {args.id} revoked.")
    return 0


