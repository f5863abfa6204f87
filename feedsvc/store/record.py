"""Article fields, as front matter, JSON or a database row gives them, into a SourceArticle.

Every field is type-checked and every error names the field, so a bad record
is reported as `path:line: field: reason` and skipped.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt

from feedsvc import content
from feedsvc.model import Image, SourceArticle
from feedsvc.store import RecordError
from feedsvc.text import article_link, clean_text, collapse_spaces, slugify

FIELDS = frozenset(
    {
        "id", "slug", "title", "summary", "author", "categories", "tags", "region",
        "language", "published", "updated", "url", "image", "draft",
    }
)  # fmt: skip
BODY_FIELDS = frozenset({"body_html", "body_markdown"})
IMAGE_FIELDS = frozenset({"url", "alt", "type", "length"})
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
_URL = re.compile(r"^https?://[^/\s]+")


@dataclass(frozen=True)
class SiteContext:
    """What a record needs to know about the site it belongs to."""

    article_url: str
    zone: ZoneInfo
    summary_length: int


def render_markdown(text: str) -> str:
    return _MARKDOWN.render(text)


def _text(name: str, value: Any, *, required: bool = False) -> str | None:
    """A clean one-line string; empty (after cleaning) counts as missing."""
    if isinstance(value, int) and not isinstance(value, bool) and name in ("id", "slug"):
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{name}: must be a string, got {type(value).__name__}")
    text = collapse_spaces(clean_text(value or ""))
    if not text and required:
        raise RecordError(f"{name}: required, and missing or empty")
    return text or None


def _texts(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise RecordError(f"{name}: must be a string or a list of strings")
    cleaned = (collapse_spaces(clean_text(v)) for v in values)
    return tuple(dict.fromkeys(v for v in cleaned if v))


def parse_when(name: str, value: Any, zone: ZoneInfo) -> datetime | None:
    """RFC 3339, or a date alone meaning midnight in the site's time zone."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise RecordError(
                f"{name}: unknown date format {value!r} "
                "(use RFC 3339, e.g. 2026-11-28T09:30:00+05:00, or 2026-11-28)"
            ) from None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, date):
        when = datetime.combine(value, time())
    else:
        raise RecordError(f"{name}: must be a date or date-time, got {type(value).__name__}")
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(UTC).replace(microsecond=0)


def _url(name: str, value: Any) -> str | None:
    url = _text(name, value)
    if url is not None and not _URL.match(url):
        raise RecordError(f"{name}: must be an absolute http(s) URL, got {url!r}")
    return url


def _image(value: Any, base: str) -> Image | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, Mapping):
        raise RecordError("image: must be a table with url, alt, type, length")
    if unknown := sorted(set(value) - IMAGE_FIELDS):
        raise RecordError(f"image: unknown field {unknown[0]!r} (known: url, alt, type, length)")
    length = value.get("length")
    if length is not None and (
        isinstance(length, bool) or not isinstance(length, int) or length < 0
    ):
        raise RecordError("image.length: must be a whole number of bytes")
    url = _text("image.url", value.get("url"), required=True) or ""
    return Image(
        url=urljoin(base, url),
        alt=_text("image.alt", value.get("alt")) or "",
        type=_text("image.type", value.get("type")),
        length=length,
    )


def build(
    fields: Mapping[str, Any],
    *,
    store: str,
    key: str,
    origin: str,
    site: SiteContext,
    body_html: str | None = None,
    allow_body_fields: bool = False,
) -> SourceArticle:
    """One record into a SourceArticle; the body comes from the fields or is given."""
    known = FIELDS | BODY_FIELDS if allow_body_fields else FIELDS
    if unknown := sorted(set(fields) - known):
        raise RecordError(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})")
    if body_html is None:
        html_body, markdown_body = fields.get("body_html"), fields.get("body_markdown")
        if (html_body is None) == (markdown_body is None):
            raise RecordError("give exactly one of body_html and body_markdown")
        source = html_body if markdown_body is None else markdown_body
        if not isinstance(source, str):
            raise RecordError("body: must be a string")
        body_html = source if markdown_body is None else render_markdown(source)
    draft = fields.get("draft", False)
    if not isinstance(draft, bool):
        raise RecordError(f"draft: must be true or false, got {draft!r}")
    title = _text("title", fields.get("title"), required=True) or ""
    slug = _text("slug", fields.get("slug"))
    url = _url("url", fields.get("url"))
    base = url or article_link(site.article_url, slugify(slug or title))
    body = content.sanitize(body_html, base)
    return SourceArticle(
        store=store,
        key=key,
        origin=origin,
        title=title,
        body_html=body,
        summary_html=content.summary_html(
            _text("summary", fields.get("summary")), body, site.summary_length
        ),
        authors=_texts("author", fields.get("author")),
        categories=_texts("categories", fields.get("categories")),
        tags=_texts("tags", fields.get("tags")),
        region=_text("region", fields.get("region")),
        language=_text("language", fields.get("language")),
        explicit_id=_text("id", fields.get("id")),
        slug=slugify(slug) if slug else None,
        url=url,
        image=_image(fields.get("image"), base),
        published=parse_when("published", fields.get("published"), site.zone),
        updated=parse_when("updated", fields.get("updated"), site.zone),
        draft=draft,
    )
