"""[websub]: the hubs told of every change, and the built-in hub."""

from typing import Annotated

from pydantic import BeforeValidator, Field

from feedsvc.core.config.base import Section, absolute_http_url


class WebSubSettings(Section):
    hubs: list[Annotated[str, BeforeValidator(absolute_http_url)]] = []
    """External WebSub hubs, told of every change and advertised in every feed and its
    `Link` headers; empty: the built-in hub is advertised."""
    builtin: bool = True
    """The built-in hub at `/websub`: subscribers get each new feed body pushed."""
    allow_private_callbacks: bool = False
    """Let subscribers' callbacks be on loopback or private addresses."""
    lease_seconds: Annotated[int, Field(ge=60)] = 864_000
    """The lease given when a subscriber asks for none (seconds)."""
    max_lease_seconds: Annotated[int, Field(ge=60)] = 2_592_000
    """The longest lease given (seconds)."""
    timeout: Annotated[float, Field(gt=0)] = 10
    """Seconds to wait for a hub or subscriber."""
    retries: Annotated[int, Field(ge=0, le=20)] = 5
    """Tries after the first of a failed ping or delivery."""
    retry_delay: Annotated[float, Field(gt=0)] = 2
    """Seconds before the first retry; each next waits twice as long."""
    max_failures: Annotated[int, Field(ge=1)] = 3
    """Deliveries failed in a row before a subscription is dropped."""
