"""Which callback URLs the built-in hub will call: never our own network's, unless allowed.

A hub that calls any URL it is given can be made to reach services behind the
firewall (server-side request forgery), so loopback, private, link-local and
other special addresses are refused unless the config allows them.
"""

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


def _special(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return not ip.is_global or ip.is_multicast


async def refusal(callback: str, allow_private: bool) -> str | None:
    """Why `callback` is refused, or None when the hub may call it."""
    try:
        parts = urlsplit(callback)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "hub.callback: not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "hub.callback: must be an absolute http(s) URL"
    if parts.fragment:
        return "hub.callback: must not have a fragment"
    if allow_private:
        return None
    try:
        found = await asyncio.to_thread(socket.getaddrinfo, parts.hostname, port)
    except (OSError, UnicodeError):
        return f"hub.callback: cannot resolve {parts.hostname!r}"
    if any(_special(info[4][0]) for info in found):
        return "hub.callback: resolves to a loopback or private address, which this hub won't call"
    return None
