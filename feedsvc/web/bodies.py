"""Request bodies read a chunk at a time and given up at a limit, never buffered whole;
the API's JSON objects read from them."""

import json
import logging
import re
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from feedsvc.store.formats import bounded_int
from feedsvc.web.bearer import error

log = logging.getLogger(__name__)

MAX_NESTING = 32  # an article nests two deep (image); anything deeper is refused


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body: over {limit:,} bytes")


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when the client went away before sending it all.

    Raises TooLarge as soon as the declared length or the bytes received pass the
    limit: at most `limit` bytes (plus one chunk) are ever held.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit)
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        log.info("%s %s: the client went away before sending its body", request.method,
                 request.url.path)  # fmt: skip
        return None
    return b"".join(chunks)


async def read_object(
    request: Request, limit: int, what: str, set_by: str
) -> dict[str, Any] | Response:
    """The body, one JSON object (`what` it must be), or the answer refusing it: too
    large (over `limit` bytes, `set_by` a setting), not UTF-8, nested too deep, not JSON."""
    try:
        body = await read_body(request, limit)
    except TooLarge as exc:
        return error(413, f"{exc} ({set_by})")
    if body is None:
        return Response(status_code=400)
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        return error(422, f"not UTF-8: {exc}")
    if _nesting(text) > MAX_NESTING:
        return error(422, f"JSON nested over {MAX_NESTING} deep")
    try:
        record = json.loads(text, parse_int=bounded_int)
    except json.JSONDecodeError as exc:
        return error(422, f"not valid JSON: {exc}")
    if not isinstance(record, dict):
        return error(422, f"the body must be one JSON object, {what}")
    return record


def _nesting(text: str) -> int:
    """How deep brackets nest, before json.loads is asked (it recurses, and a deep
    enough body exhausts the stack)."""
    deepest = depth = 0
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', "", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
