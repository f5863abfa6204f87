"""Takedowns over HTTP: `POST /api/takedowns` does what `feedsvc takedown` does, from a
newsroom's own tools (a CMS's "unpublish" button, a legal desk's form), and is answered
once the build that publishes it is done: the news goes first, whatever else is dirty.

A takedown from a shell pays for the command's start (a second on a slow machine);
this one is the service's own work, as a posted article is.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from feedsvc.core.text import one_line, shareable
from feedsvc.site.rebuild import Rebuilder
from feedsvc.state.database import State
from feedsvc.store.record import LENGTHS
from feedsvc.web.bearer import error, unauthorised
from feedsvc.web.bodies import read_object
from feedsvc.web.ingest import normal_id

BODY_LIMIT = 16 * 1024  # bytes: a reference and a reason
REASON_MAX = 1000  # characters
FIELDS = {"ref", "reason", "undo"}


class Takedowns:
    def __init__(
        self, state: State, rebuilder: Rebuilder, token: bytes, clock: Callable[[], datetime]
    ) -> None:
        self.state = state
        self.rebuilder = rebuilder
        self.token = token
        self.clock = clock

    def routes(self) -> list[Route]:
        return [Route("/api/takedowns", self.post, methods=["POST"])]

    async def post(self, request: Request) -> Response:
        """`{"ref": GUID, id or store key, "reason": why, "undo": false}`: 200 once
        published, saying what it did to each article the reference names; 404 when
        none has it; 409 when the build failed (the takedown is recorded, and the next
        build publishes it)."""
        if refused := unauthorised(request, self.token):
            return refused
        asked = await read_object(request, BODY_LIMIT, "a takedown", f"{BODY_LIMIT:,} bytes")
        if isinstance(asked, Response):
            return asked
        if unknown := sorted(set(asked) - FIELDS):
            known = ", ".join(sorted(FIELDS))
            return error(422, f"unknown field {unknown[0]!r} (known: {known})", unknown[0])
        ref, why = normal_id(asked.get("ref"), "ref", LENGTHS["url"])  # a GUID may be a URL
        if ref is None:
            return error(422, why, "ref")
        reason, undo = asked.get("reason", ""), asked.get("undo", False)
        if not isinstance(reason, str) or one_line(reason) != reason.strip():
            return error(422, "reason: one line, no control characters or runs of spaces", "reason")
        if len(reason) > REASON_MAX:
            return error(422, f"reason: over {REASON_MAX:,} characters", "reason")
        if not isinstance(undo, bool):
            return error(422, "undo: true or false", "undo")
        found = await asyncio.to_thread(
            self.state.takedown, ref, reason.strip(), self.clock(), undo=undo
        )
        if not found:
            return error(404, f"no article has the GUID, id or store key {ref!r}", "ref")
        report = await self.rebuilder.build()
        answer = {
            "ref": ref,
            "articles": [
                {"guid": one.guid, "key": one.key, "done": one.outcome(undo)} for one in found
            ],
            "published": report.ok,
        }
        if not report.ok:
            failed = "; ".join(report.failures[:3])
            answer["error"] = shareable(f"recorded, not published: the build failed: {failed}")
            return JSONResponse(answer, status_code=409)
        return JSONResponse(answer)
