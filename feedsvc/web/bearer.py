"""The API's door: its bearer token, and its errors as JSON that names the field."""

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from feedsvc.core.text import shareable


def unauthorised(request: Request, token: bytes) -> Response | None:
    """401 unless the request carries the API's token (compared in constant time)."""
    given = request.headers.get("authorization", "")
    scheme, _, sent = given.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token):
        return None
    return JSONResponse(
        {"error": "a valid 'Authorization: Bearer TOKEN' header is needed"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="feedsvc"'},
    )


def error(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": shareable(message), "field": field}, status_code=status)
