"""The Starlette application."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from feedsvc.config import Settings
from feedsvc.pipeline import feed_path
from feedsvc.state import State
from feedsvc.web.feeds import CONTENT_TYPES, FeedCache, respond
from feedsvc.web.health import health
from feedsvc.web.pages import index_html

Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def create_app(settings: Settings, state: State, lifespan: Lifespan | None = None) -> Starlette:
    cache = FeedCache(settings.public_dir)
    names = {feed.name for feed in settings.feeds}
    page = index_html(settings)

    def feed(request: Request) -> Response:
        name, fmt = request.path_params["name"], request.path_params["fmt"]
        if name not in names or fmt not in CONTENT_TYPES:
            return PlainTextResponse("no such feed\n", status_code=404)
        ready = cache.get(feed_path(name, fmt), CONTENT_TYPES[fmt])
        if ready is None:
            return PlainTextResponse("this feed has not been built yet\n", status_code=404)
        return respond(request, ready, settings.server.max_age)

    def index(_request: Request) -> Response:
        return HTMLResponse(page)

    def healthz(_request: Request) -> Response:
        healthy, report = health(state, settings.server.health_max_age)
        return JSONResponse(report, status_code=200 if healthy else 503)

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/feeds/{name}.{fmt}", feed),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
