"""What both halves of WebSub (the hub endpoint and the deliveries) share."""

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from feedsvc.core.config import Settings
from feedsvc.state.database import State
from feedsvc.websub.clients import HubClients


@dataclass
class WebSubContext:
    settings: Settings
    state: State  # its subscriptions and what is owed
    clients: HubClients  # pings, deliveries, verifications: a pool each
    running: set[asyncio.Task] = field(default_factory=set)

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background, referenced until done (asyncio keeps only weak
        references to tasks)."""
        task = asyncio.create_task(work)
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def idle(self) -> None:
        """Wait until everything started so far has finished (tests, shutdown)."""
        while self.running:
            await asyncio.gather(*list(self.running), return_exceptions=True)


class WebSubPart:
    """Base of the hub endpoint and the deliverer: the shared context, and its parts by name."""

    def __init__(self, context: WebSubContext) -> None:
        self.context = context
        self.settings = context.settings
        self.subscriptions = context.state.subscriptions
        self.clients = context.clients
