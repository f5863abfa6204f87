"""The ingest API: articles posted as JSON go into a files store, then a build runs at once.

An article is written as STORE/api/ID.json, the same record the JSON store reads,
checked by the same parser first: a bad body writes nothing and names the field.
The answer is 201 (or 200 for a replacement) only when the article is in the
feeds the build published; otherwise it says why not.
"""

import asyncio
import hashlib
import json
import logging
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from feedsvc.core.config import Settings
from feedsvc.core.model import SourceArticle
from feedsvc.core.text import one_line, shareable
from feedsvc.publish.local import atomic_write
from feedsvc.site.rebuild import Rebuilder
from feedsvc.state.database import State
from feedsvc.store import RecordError
from feedsvc.store.configured import site_context
from feedsvc.store.formats import FileInfo, NumberTooLong, parse_json
from feedsvc.store.record import BODY_FIELDS, FIELDS, LENGTHS
from feedsvc.web.bearer import error as _error
from feedsvc.web.bearer import unauthorised
from feedsvc.web.bodies import read_object

log = logging.getLogger(__name__)

API_FOLDER = "api"
NAME_MAX = 240  # bytes of a file name made from an id; most file systems allow 255


def _holds_too_long(value: object) -> bool:
    """Whether a JSON value is or holds a number too long to convert (and to store)."""
    if isinstance(value, dict):
        return any(map(_holds_too_long, value.values()))
    if isinstance(value, list):
        return any(map(_holds_too_long, value))
    return isinstance(value, NumberTooLong)


def _field_named(reason: str) -> str | None:
    """The article field an error is about: the one it starts with, or the first it names."""
    if unknown := re.match(r"unknown field '([^']+)'", reason):
        return unknown.group(1)
    head = reason.partition(":")[0]
    if head in FIELDS | BODY_FIELDS:  # "title: required"
        return head
    named = [name for name in sorted(FIELDS | BODY_FIELDS) if name in reason]
    return min(named, key=reason.index) if named else None


def normal_id(
    given: object, field: str = "id", longest: int = LENGTHS["id"]
) -> tuple[str | None, str]:
    """(the id in its normal form, or None; why not): NFC, no spaces around it, no
    control or bidi characters, at most `longest` characters. POST and DELETE both
    name an article by this form, and two ids that differ only in what it drops are
    refused rather than taken for one. `field`: the name errors give it."""
    if isinstance(given, int) and not isinstance(given, bool):
        given = str(given)
    if not isinstance(given, str) or not given.strip():
        return None, f"{field}: required, a string or a whole number"
    article_id = unicodedata.normalize("NFC", given.strip())
    if one_line(article_id) != article_id:
        return None, f"{field}: no control characters, bidi controls, line breaks or runs of spaces"
    if len(article_id) > longest:
        return None, f"{field}: {len(article_id):,} characters, over the {longest:,} allowed"
    return article_id, ""


def file_name(article_id: str) -> str:
    """A file name for any id: percent-encoded, never hidden, '.' or '..', and never
    over NAME_MAX bytes (a long one is shortened with a digest of the whole id)."""
    name = quote(article_id, safe="")
    name = "%2E" + name[1:] if name.startswith(".") else name
    if len(name) + len(".json") > NAME_MAX:
        whole = hashlib.sha256(article_id.encode()).hexdigest()[:32]
        head = name[: NAME_MAX - 40]
        cut = head.find("%", len(head) - 2)  # not inside a %XX escape
        name = f"{head[:cut] if cut >= 0 else head}~{whole}"
    return name + ".json"


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
        if refused := unauthorised(request, self.token):
            return refused
        if self.store is None:
            return _error(503, "no 'files' store is configured for the API to write into")
        return None

    def _folder(self) -> Path:
        assert self.store is not None
        return self.store.path / API_FOLDER

    async def post(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        assert self.store is not None
        limit = self.store.max_file_size
        record = await read_object(request, limit, "an article", "the store's max_file_size")
        if isinstance(record, Response):
            return record
        article_id, why = normal_id(record.get("id"))
        if article_id is None:
            return _error(422, why, "id")
        record["id"] = article_id
        if too_long := next((k for k, v in record.items() if _holds_too_long(v)), None):
            return _error(422, f"{too_long}: a number longer than any field takes", too_long)
        stored = json.dumps(record, ensure_ascii=False).encode()
        if len(stored) > limit:
            return _error(413, f"the article is {len(stored):,} bytes as stored, over {limit:,}")
        name = file_name(article_id)
        info = FileInfo(self.store.label, f"{API_FOLDER}/{name}", "request body", self.context)
        try:  # off the event loop: sanitising a body of megabytes takes a good part of a second
            (parsed,) = (await asyncio.to_thread(parse_json, stored.decode(), info)).articles
        except RecordError as exc:
            return _error(422, exc.reason, _field_named(exc.reason))
        if refused := await self._held_by_another(parsed.key, article_id):
            return refused
        path = self._folder() / name
        existed = path.exists()
        # Named before it is written: a first build under way may read it with the rest.
        self.rebuilder.pipeline.posted(info.store, parsed.key)
        try:
            atomic_write(path, stored)
        except OSError as exc:
            log.error("%s: cannot store the article: %s", path, exc)
            return _error(503, f"cannot store the article: {exc.strerror or exc}")
        report = await self.rebuilder.build()
        answer = {"id": article_id, "file": f"{API_FOLDER}/{name}", "build": {"ok": report.ok}}
        article = await asyncio.to_thread(
            self.state.by_key, info.store, parsed.key, self.context.article_url
        )
        if article is not None:
            answer |= {"guid": article.guid, "link": article.link}
        if reason := await self._unpublished(parsed, article, report.ok, report.failures):
            return JSONResponse({**answer, "published": False, "error": shareable(reason)}, 409)
        return JSONResponse({**answer, "published": True}, status_code=200 if existed else 201)

    async def _held_by_another(self, key: str, article_id: str) -> Response | None:
        """409 naming the owner when the id is another source's: the API writes only the
        articles it posted, and never takes a story's GUID."""
        assert self.store is not None
        holder = await asyncio.to_thread(
            self.state.held_by_another, self.store.label, key, article_id
        )
        if holder is None:
            return None
        return _error(
            409,
            f"id {article_id!r} belongs to {holder}; the API changes only the articles it posted",
            "id",
        )

    async def _unpublished(
        self, parsed: SourceArticle, article, built: bool, failures: list[str]
    ) -> str | None:
        """Why a stored article is not in the published feeds, or None when it is."""
        if parsed.draft:
            return "draft: true: kept in the store, not published"
        if article is None:
            return "the store did not take the article; see the server's log"
        if not built:
            return "the build failed, and the feeds were not published: " + "; ".join(failures[:3])
        now = datetime.now(UTC)
        if article.published > now:
            return (
                f"published: {article.published.isoformat()} is in the future; it will appear then"
            )
        visible = await asyncio.to_thread(
            self.state.by_ids, [article.id], now, self.context.article_url
        )
        return None if visible else "taken down (feedsvc takedown --list); not published"

    async def delete(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        article_id, why = normal_id(request.path_params["article_id"])
        if article_id is None:
            return _error(422, why, "id")
        name = file_name(article_id)
        if refused := await self._held_by_another(f"{API_FOLDER}/{name}", article_id):
            return refused
        try:
            (self._folder() / name).unlink()
        except FileNotFoundError:
            return _error(404, f"no article {article_id!r} was posted through the API")
        report = await self.rebuilder.build()
        return JSONResponse({"id": article_id, "deleted": True, "build": {"ok": report.ok}})
