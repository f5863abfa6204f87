"""The hub's HTTP clients, one pool per job, so that no job can starve another.

Verifications go to any URL a stranger names and may hang for the whole timeout:
they get a small pool of their own, and deliveries to subscribers already verified
keep theirs. Callbacks are called through the pinned transport (connect to the
address that was checked); pings go to the hubs the config names, called as named.
"""

from dataclasses import dataclass

import httpx

from feedsvc.core.config import Settings
from feedsvc.websub.callbacks import PinnedTransport, Resolve, addresses

PING_CONNECTIONS = 64  # a build may tell a hub of thousands of feeds at once
DELIVERY_CONNECTIONS = 512  # deliveries in flight at most (deliver.PER_CALLBACK each host)
VERIFICATION_CONNECTIONS = 32
USER_AGENT = "feedsvc (WebSub)"


@dataclass
class HubClients:
    pings: httpx.AsyncClient
    deliveries: httpx.AsyncClient
    verifications: httpx.AsyncClient

    async def aclose(self) -> None:
        for client in (self.pings, self.deliveries, self.verifications):
            await client.aclose()

    async def __aenter__(self) -> "HubClients":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


def hub_clients(settings: Settings, resolve: Resolve = addresses) -> HubClients:
    """Bounded clients that never follow redirects (a callback must not send the hub
    elsewhere)."""
    websub = settings.websub

    def client(connections: int, to_callbacks: bool) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=connections)  # the transport's pool
        transport: httpx.AsyncBaseTransport = (
            PinnedTransport(websub.allow_private_callbacks, resolve, limits=limits)
            if to_callbacks
            else httpx.AsyncHTTPTransport(limits=limits)
        )
        return httpx.AsyncClient(
            timeout=websub.timeout, transport=transport, headers={"User-Agent": USER_AGENT}
        )

    return HubClients(
        pings=client(PING_CONNECTIONS, to_callbacks=False),
        deliveries=client(DELIVERY_CONNECTIONS, to_callbacks=True),
        verifications=client(VERIFICATION_CONNECTIONS, to_callbacks=True),
    )
