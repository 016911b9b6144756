"""The address villagers' phones reach the server at, for every link a QR code carries.

A printed QR code is read by a phone, not by the organizer's browser: a link built from
the host the organizer happened to use (http://127.0.0.1:8000 on the laptop itself) opens
nowhere on a phone. CUNYI_PUBLIC_URL names the address phones use; without it links
follow the organizer's browser, and a loopback one is refused on the slip sheet. The
addresses of this machine on the local network are listed for `cunyi serve --lan`.
"""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from urllib.parse import urlsplit

_SIOCGIFADDR = 0x8915  # <linux/sockios.h>: an interface's IPv4 address
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class BadPublicUrl(ValueError):
    """CUNYI_PUBLIC_URL is not an address a phone could open."""


def normalize_public_url(value: str) -> str:
    """ "" (links follow the browser) or scheme://host[:port][/prefix] without a trailing /."""
    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadPublicUrl(
            f"CUNYI_PUBLIC_URL={value!r}: write it as http://192.168.1.10:8000, the address "
            "villagers' phones open (CUNYI_PUBLIC_URL 要写成 http://192.168.1.10:8000 这样，"
            "是村民手机能打开的地址)"
        )
    if parts.query or parts.fragment:
        raise BadPublicUrl(f"CUNYI_PUBLIC_URL={value!r}: no ?query or #fragment, please")
    return value.rstrip("/")


def is_loopback_url(url: str) -> bool:
    """Whether the link only opens on this machine (127.0.0.0/8, ::1, localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def absolute(public_url: str, browser_url: str, path: str) -> str:
    """The absolute link of `path`: on the public address when one is set, else on the
    address the organizer's browser used (`browser_url`, scheme://host:port)."""
    base = public_url or browser_url.rstrip("/")
    return base + path


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, for phones on the same network.

    Every interface's address (Linux's SIOCGIFADDR); failing that, the address of the
    default route, found without sending anything (a UDP socket's connect only picks a
    route).
    """
    found: list[str] = []
    for _index, name in socket.if_nameindex():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                packed = fcntl.ioctl(
                    probe.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15])
                )
            except OSError:
                continue  # no IPv4 address on this interface
        found.append(socket.inet_ntoa(packed[20:24]))
    if not found:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect(("10.255.255.255", 1))
                found.append(probe.getsockname()[0])
            except OSError:
                pass
    return [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]
