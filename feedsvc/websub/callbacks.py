"""Which callback URLs the built-in hub will call: never our own network's, unless allowed.

A hub that calls any URL it is given can be made to reach services behind the
firewall (server-side request forgery), so loopback, private, link-local and
other special addresses are refused unless the config allows them. The address is
checked where the connection is made, and the connection goes to the address that
was checked: a name that resolves to a public address for the check and to a private
one a moment later (DNS rebinding) never gets the hub inside.
"""

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx

Resolve = Callable[[str, int], Awaitable[list[str]]]  # (host, port) -> addresses
PRIVATE = "resolves to a loopback or private address, which this hub won't call"


# IPv6 prefixes that carry an IPv4 address a gateway or the host translates to: NAT64
# (RFC 6052, RFC 8215) and the deprecated IPv4-compatible form (::a.b.c.d).
_CARRY_IPV4 = tuple(
    ipaddress.ip_network(prefix) for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96")
)


def _special(address: str) -> bool:
    """Not a global unicast address, or one that reaches such an address: IPv4 inside
    IPv6 (mapped, 6to4, Teredo, NAT64, IPv4-compatible) is judged by its IPv4 address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inside = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inside is None and any(ip in prefix for prefix in _CARRY_IPV4):
            inside = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inside is not None and _special(str(inside)):
            return True
    return not ip.is_global or ip.is_multicast


def callback_host(url: str) -> str:
    """The host a callback URL names, one spelling for each address (0x7f000001,
    2130706433 and 127.1 are all 127.0.0.1), with its port: what the hub shares its
    verifications and deliveries out by. "" for a URL that cannot be taken apart."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return ""
    try:
        host = str(ipaddress.ip_address(host))
    except ValueError:
        with contextlib.suppress(OSError, UnicodeError):
            host = socket.inet_ntoa(socket.inet_aton(host))  # the forms browsers take too
    return f"{host}:{port or (443 if parts.scheme == 'https' else 80)}"


async def addresses(host: str, port: int) -> list[str]:
    """The addresses a host name stands for now (an address stands for itself)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [str(info[4][0]) for info in found]
    return [host]


async def refusal(callback: str, allow_private: bool, resolve: Resolve = addresses) -> str | None:
    """Why `callback` is refused, or None when the hub may call it (asked at subscription,
    to answer at once; every call checks again where it connects)."""
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
        found = await resolve(parts.hostname, port)
    except (OSError, UnicodeError):
        return f"hub.callback: cannot resolve {parts.hostname!r}"
    if not found or any(map(_special, found)):
        return f"hub.callback: {PRIVATE}"
    return None


class PinnedTransport(httpx.AsyncBaseTransport):
    """Resolves each request's host once, checks the addresses, and connects to the one
    it checked, the name kept for the Host header and TLS (SNI and the certificate)."""

    def __init__(
        self, allow_private: bool, resolve: Resolve = addresses, **options: object
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self._transport = httpx.AsyncHTTPTransport(**options)  # type: ignore[arg-type]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host, port = url.host, url.port or (443 if url.scheme == "https" else 80)
        try:
            found = await self.resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpx.ConnectError(f"cannot resolve {host!r}: {exc}", request=request) from exc
        if not found or (not self.allow_private and any(map(_special, found))):
            raise httpx.ConnectError(f"{host} {PRIVATE}", request=request)
        request.url = url.copy_with(host=found[0])
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()
