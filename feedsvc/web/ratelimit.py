"""Fetches per client and file: a token bucket each, refilled over the window. A full
fetch costs a token, a conditional one answered 304 a tenth: a well-behaved poller is
never near the limit, and a flood of conditional polls is limited all the same."""

import ipaddress
import math
from collections.abc import Sequence

MAX_BUCKETS = 100_000  # past this many clients x files, idle buckets are dropped
NOT_MODIFIED_COST = 0.1  # of a token: what a 304 costs


class RateLimiter:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.rate = limit / window  # tokens regained per second
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def wait(self, client: str, relative: str, now: float, cost: float = 1.0) -> int:
        """0 when a fetch costing `cost` tokens is allowed now (and counted); else the
        seconds to wait."""
        key = (client, relative)
        tokens, last = self._buckets.get(key, (self.limit, now))
        tokens = min(self.limit, tokens + (now - last) * self.rate)
        if tokens < cost:
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((cost - tokens) / self.rate))
        if len(self._buckets) >= MAX_BUCKETS and key not in self._buckets:
            self._drop_idle(now)
        self._buckets[key] = (tokens - cost, now)
        return 0

    def _drop_idle(self, now: float) -> None:
        """Buckets that would be full again by now hold nothing worth keeping."""
        full = [
            key
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.limit
        ]
        for key in full or list(self._buckets)[: MAX_BUCKETS // 2]:
            del self._buckets[key]


class ClientAddress:
    """Who a request is from: the peer, or, behind a trusted proxy, the address it names."""

    def __init__(self, trusted: Sequence[str]) -> None:
        self.trusted = [ipaddress.ip_network(net, strict=False) for net in trusted]

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def of(self, peer: str, forwarded_for: bytes | None) -> str:
        if not self.trusted or forwarded_for is None or not self._is_trusted(peer):
            return peer
        # The nearest hop is rightmost; the first one that is not our proxy is the client.
        hops = [hop.strip() for hop in forwarded_for.decode("latin-1").split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer
