"""Pairing a scanning app with the box: the setup handshake it scans, and the address it is for.

pretixSCAN reads a QR code holding `{"handshake_version": 1, "url": …, "token": …}`, then calls
`<url>/api/v1/device/initialize`. The URL must be one the phone reaches over the LAN: the box's own
LAN address, never 127.0.0.1 (which on the phone is the phone).
"""

from __future__ import annotations

import ipaddress
import json
import socket
from urllib.parse import urlsplit


class PairingError(Exception):
    """The handshake cannot be made as asked; the message says why and what to pass instead."""


def handshake(url: str, initialization_token: str) -> str:
    """The JSON the app scans."""
    return json.dumps({"handshake_version": 1, "url": url, "token": initialization_token})


def server_url(url: str | None, port: int, allow_loopback: bool = False) -> str:
    """The base URL devices use: `url` as given (checked), else this box's LAN address and `port`."""
    if url is None:
        return f"http://{_lan_address()}:{port}"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PairingError(f"the URL {url!r} is not an http:// or https:// address such as http://192.168.1.10:8000.")
    if parts.path not in ("", "/"):
        # The apps put every later call at the host's root, so a path here would work for pairing only.
        raise PairingError(f"the URL {url!r} has a path; the scanning apps need the server at the host's root.")
    if not allow_loopback and _is_loopback(parts.hostname):
        raise PairingError(
            f"the URL {url!r} points at the device itself, not at this box; give the box's LAN address "
            "(or pass --allow-loopback for a scanner running on this machine)."
        )
    # No trailing slash: the apps append "/api/v1/…" to it as it is.
    return f"{parts.scheme}://{parts.netloc}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lan_address() -> str:
    """This box's IPv4 address on its LAN.

    First the address the system would send from towards a private network (a UDP "connect" sends
    nothing); a box on a closed LAN may have no route for that, so then the addresses of its host name.
    """
    candidates: list[str] = []
    for probe in ("10.255.255.255", "192.168.255.255", "172.31.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))
                candidates.append(sock.getsockname()[0])
        except OSError:
            continue
    try:
        candidates += socket.gethostbyname_ex(socket.gethostname())[2]
    except OSError:
        pass
    for address in candidates:
        if not ipaddress.ip_address(address).is_loopback and address != "0.0.0.0":
            return address
    raise PairingError(
        "this box's LAN address cannot be found (is it on a network?); pass --url http://ADDRESS:PORT."
    )
