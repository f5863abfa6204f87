"""The ingest API: articles posted as JSON go into a files store, then a build runs at once.

An article is written as STORE/api/ID.json, the same record the JSON store reads,
checked by the same parser first: a bad body writes nothing and names the field.
"""

import asyncio
import hmac
import json
import re
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from feedsvc.config import Settings
from feedsvc.publish.local import atomic_write
from feedsvc.rebuild import Rebuilder
from feedsvc.state import State
from feedsvc.store import RecordError
from feedsvc.store.formats import FileInfo, parse_json
from feedsvc.store.record import BODY_FIELDS, FIELDS
from feedsvc.stores import site_context

MAX_BODY = 1_048_576  # bytes, as a files store's default max_file_size
API_FOLDER = "api"


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status)


def _field_named(reason: str) -> str | None:
    """The article field an error is about: the one it starts with, or the first it names."""
    if unknown := re.match(r"unknown field '([^']+)'", reason):
        return unknown.group(1)
    head = reason.partition(":")[0]
    if head in FIELDS | BODY_FIELDS:  # "title: required"
        return head
    named = [name for name in sorted(FIELDS | BODY_FIELDS) if name in reason]
    return min(named, key=reason.index) if named else None


def file_name(article_id: str) -> str:
    """A file name for any id: percent-encoded, and never hidden, '.' or '..'."""
    name = quote(article_id, safe="")
    return ("%2E" + name[1:] if name.startswith(".") else name) + ".json"


class Ingest:
    def __init__(self, settings: Settings, state: State, rebuilder: Rebuilder) -> None:
        self.token = settings.api.token.get_secret_value().encode()
        files = [s for s in settings.store if s.kind == "files"]
        chosen = next((s for s in files if s.label == settings.api.store), None) or (
            files[0] if files else None
        )
        self.store = chosen
        self.context = site_context(settings)
        self.rebuilder = rebuilder
        self.state = state

    def routes(self) -> list[Route]:
        return [
            Route("/api/articles", self.post, methods=["POST"]),
            Route("/api/articles/{article_id:path}", self.delete, methods=["DELETE"]),
        ]

    def _refused(self, request: Request) -> Response | None:
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.token
        ):
            return JSONResponse(
                {"error": "a valid 'Authorization: Bearer TOKEN' header is needed"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="feedsvc"'},
            )
        if self.store is None:
            return _error(503, "no 'files' store is configured for the API to write into")
        return None

    def _folder(self) -> Path:
        assert self.store is not None
        return self.store.path / API_FOLDER

    async def post(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, f"the article is over {MAX_BODY} bytes")
        try:
            record = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return _error(422, f"not valid JSON: {exc}")
        if not isinstance(record, dict):
            return _error(422, "the body must be one JSON object, an article")
        article_id = record.get("id")
        if isinstance(article_id, int) and not isinstance(article_id, bool):
            article_id = str(article_id)
        if not isinstance(article_id, str) or not article_id.strip() or len(article_id) > 200:
            return _error(422, "id: required, a string of at most 200 characters", "id")
        text = json.dumps(record, ensure_ascii=False, indent=1)
        name = file_name(article_id.strip())
        info = FileInfo(self.store.label, f"{API_FOLDER}/{name}", "request body", self.context)  # type: ignore[union-attr]
        try:
            parsed = parse_json(text, info)
        except RecordError as exc:
            return _error(422, exc.reason, _field_named(exc.reason))
        path = self._folder() / name
        existed = path.exists()
        atomic_write(path, text.encode())
        report = await self.rebuilder.build()
        article = await asyncio.to_thread(
            self.state.by_key, info.store, parsed.articles[0].key, self.context.article_url
        )
        return JSONResponse(
            {
                "id": article_id,
                "guid": article and article.guid,
                "link": article and article.link,
                "file": str(path),
                "build": {"ok": report.ok, "written": len(report.written)},
            },
            status_code=200 if existed else 201,
        )

    async def delete(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        article_id = request.path_params["article_id"]
        path = self._folder() / file_name(article_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return _error(404, f"no article {article_id!r} was posted through the API")
        report = await self.rebuilder.build()
        return JSONResponse({"id": article_id, "deleted": True, "build": {"ok": report.ok}})
