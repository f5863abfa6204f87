"""The Starlette application."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from feedsvc.config import Settings
from feedsvc.state import State
from feedsvc.web.feeds import FeedCache, respond
from feedsvc.web.health import health

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def create_app(settings: Settings, state: State, lifespan: Lifespan | None = None) -> Starlette:
    cache = FeedCache(settings.public_dir)

    def published(relative: str, request: Request) -> Response:
        ready = cache.get(relative)
        if ready is None:
            return PlainTextResponse("not found (or not built yet)\n", status_code=404)
        return respond(request, ready, settings.server.max_age)

    def feed(request: Request) -> Response:
        return published("feeds/" + request.path_params["path"], request)

    def index(request: Request) -> Response:
        return published("index.html", request)

    def outline(request: Request) -> Response:
        return published("feeds.opml", request)

    def healthz(_request: Request) -> Response:
        healthy, report = health(state, settings.server.health_max_age)
        return JSONResponse(report, status_code=200 if healthy else 503)

    routes = [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/feeds.opml", outline, methods=["GET", "HEAD"]),
        Route("/healthz", healthz),
        Route("/feeds/{path:path}", feed, methods=["GET", "HEAD"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
