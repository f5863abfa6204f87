"""Article fields, as front matter, JSON or a database row gives them, into a SourceArticle.

Every field is type-checked and bounded, and every error names the field, so a
bad record is reported as `path:line: field: reason` and skipped: nothing that
comes out of here can make a feed fail its check.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from feedsvc.content import commonmark, markup
from feedsvc.content.media import MEDIA_TYPE, guessed_type
from feedsvc.content.urls import UnsafeURL, http_url
from feedsvc.core.model import Image, Media, Problem, SourceArticle
from feedsvc.core.podcast import EPISODE_TYPES, TRANSCRIPT_TYPES, Episode
from feedsvc.core.text import LANGUAGE_TAG, article_link, one_line, slugify
from feedsvc.store import RecordError, Scan, unreadable

# A podcast episode's own details (the article's audio is in `media`).
EPISODE_FIELDS = ("episode", "season", "episode_type", "explicit", "transcript")
FIELDS = frozenset(
    {
        "id", "slug", "title", "summary", "author", "categories", "tags", "region",
        "language", "published", "updated", "url", "image", "media", "draft",
        *EPISODE_FIELDS,
    }
)  # fmt: skip
BODY_FIELDS = frozenset({"body_html", "body_markdown"})
IMAGE_FIELDS = frozenset({"url", "alt", "type", "length"})
MEDIA_FIELDS = frozenset({"url", "type", "length", "duration", "title"})
# Raised whenever the same record makes another article (the sanitiser keeps more, say):
# every store's sources are then read again, so what is published equals a fresh build.
READER_REVISION = 5

# The most characters a one-line field may have, and the most values a list field.
LENGTHS = {
    "id": 200, "slug": 200, "title": 500, "summary": 10_000, "author": 200,
    "categories": 100, "tags": 100, "region": 100, "language": 35, "url": 2000,
    "image.url": 2000, "image.alt": 1000, "image.type": 100,
    "media.url": 2000, "media.type": 100, "media.title": 500,
    "transcript": 2000, "episode_type": 20,
}  # fmt: skip
COUNTS = {"author": 20, "categories": 50, "tags": 50, "media": 20}
LATEST_MAX = 200  # headlines of a page's own latest-news list
BODY_MAX = 4 * 1024 * 1024  # characters of article HTML or Markdown
# Bytes of an item's body as published: what Google News takes. A longer one is cut at a
# block, with a link to the article, and the article is named in a warning.
ITEM_BODY_MAX = 1_000_000
IMAGE_MAX_BYTES = 10**12
DURATION_MAX = 10**7  # seconds: nearly four months
DURATION = re.compile(r"\d{1,7}(:[0-5]\d){0,2}")  # seconds, MM:SS or H:MM:SS
# Dates a feed can carry: RFC 822 wants a four-digit year, and readers mistake dates
# before the 20th century for errors.
FIRST_YEAR, LAST_YEAR = 1900, 2999


@dataclass(frozen=True)
class SiteContext:
    """What a record needs to know about the site it belongs to."""

    article_url: str
    zone: ZoneInfo
    summary_length: int


def _text(name: str, value: Any, *, required: bool = False) -> str | None:
    """A clean one-line string; empty (after cleaning) counts as missing."""
    if isinstance(value, int) and not isinstance(value, bool) and name in ("id", "slug"):
        value = str(value)
    if value is not None and not isinstance(value, str):
        raise RecordError(f"{name}: must be a string, got {type(value).__name__}")
    text = one_line(value or "")
    if not text and required:
        raise RecordError(f"{name}: required, and missing or empty")
    return _within(name, text) or None


def _within(name: str, text: str) -> str:
    if len(text) > LENGTHS[name]:
        raise RecordError(f"{name}: {len(text):,} characters, over the {LENGTHS[name]:,} allowed")
    return text


def _texts(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise RecordError(f"{name}: must be a string or a list of strings")
    kept = tuple(dict.fromkeys(_within(name, t) for t in map(one_line, values) if t))
    if len(kept) > COUNTS[name]:
        raise RecordError(f"{name}: {len(kept):,} given, over the {COUNTS[name]} allowed")
    return kept


def parse_when(name: str, value: Any, zone: ZoneInfo) -> datetime | None:
    """RFC 3339, or a date alone meaning midnight in the site's time zone."""
    if value is None or value == "":
        return None
    stated = value
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
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the first day Python knows
        when = datetime.min.replace(tzinfo=UTC)
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        shown = stated.strip() if isinstance(stated, str) else stated.isoformat()
        raise RecordError(f"{name}: {shown} is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return when.replace(microsecond=0)


def _checked_url(name: str, url: str, base: str = "") -> str:
    """The URL made absolute against `base`, if it passes the one URL test."""
    try:
        return http_url(url, base)
    except UnsafeURL as exc:
        raise RecordError(f"{name}: {exc}") from None


def _url(name: str, value: Any) -> str | None:
    url = _text(name, value)
    return None if url is None else _checked_url(name, url)


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
    whole = isinstance(length, int) and not isinstance(length, bool)
    if length is not None and not (whole and 0 <= length <= IMAGE_MAX_BYTES):
        raise RecordError("image.length: must be a whole number of bytes, at most 10**12")
    url = _checked_url("image.url", _text("image.url", value.get("url"), required=True) or "", base)
    stated = _text("image.type", value.get("type"))
    if stated is not None and not MEDIA_TYPE.match(stated):
        raise RecordError(f"image.type: {stated!r} is not a media type like image/jpeg")
    return Image(
        url=_within("image.url", url),
        alt=_text("image.alt", value.get("alt")) or "",
        type=stated,
        length=length,
    )


def _duration(name: str, value: Any) -> int | None:
    """Whole seconds, given as a number or as H:MM:SS or MM:SS."""
    if value is None or value == "":
        return None
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str) and DURATION.fullmatch(value.strip()):
        for part in value.strip().split(":"):
            seconds = (seconds or 0) * 60 + int(part)
    if seconds is None or not 0 <= seconds <= DURATION_MAX:
        raise RecordError(f"{name}: must be seconds or H:MM:SS, got {value!r}")
    return round(seconds)


def _media(value: Any, base: str) -> tuple[Media, ...]:
    """`media = [{url, type, length, duration, title}]`: audio and video of the article.
    A database column may hold the list as JSON text."""
    if value is None:
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as exc:
            raise RecordError(f"media: not a JSON list ({exc})") from None
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, Mapping) for v in value):
        raise RecordError("media: must be a list of tables with url, type, length, duration")
    if len(value) > COUNTS["media"]:
        raise RecordError(f"media: {len(value)} given, over the {COUNTS['media']} allowed")
    found = []
    for number, item in enumerate(value):
        name = f"media[{number}]"
        if unknown := sorted(set(item) - MEDIA_FIELDS):
            known = ", ".join(sorted(MEDIA_FIELDS))
            raise RecordError(f"{name}: unknown field {unknown[0]!r} (known: {known})")
        url = _text("media.url", item.get("url"), required=True) or ""
        url = _within("media.url", _checked_url(f"{name}.url", url, base))
        stated = _text("media.type", item.get("type"))
        guessed = guessed_type(url)
        if stated is None and guessed is None:
            raise RecordError(f"{name}.type: cannot tell from the URL; give one like audio/mpeg")
        media_type = stated or guessed or ""
        if not MEDIA_TYPE.match(media_type):
            raise RecordError(f"{name}.type: {media_type!r} is not a media type like audio/mpeg")
        length = item.get("length")
        if length is not None and not (
            isinstance(length, int)
            and not isinstance(length, bool)
            and 0 <= length <= IMAGE_MAX_BYTES
        ):
            raise RecordError(f"{name}.length: must be a whole number of bytes, at most 10**12")
        title = _text("media.title", item.get("title")) or ""
        found.append(
            Media(
                url, media_type, length, _duration(f"{name}.duration", item.get("duration")), title
            )
        )
    return tuple(found)


def _number(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
        raise RecordError(f"{name}: must be a whole number from 1 to 100,000, got {value!r}")
    return value


def _episode(fields: Mapping[str, Any], base: str) -> Episode | None:
    """episode, season, episode_type, explicit, transcript: None when none is given."""
    if all(fields.get(name) is None for name in EPISODE_FIELDS):
        return None
    kind = _text("episode_type", fields.get("episode_type")) or "full"
    if kind not in EPISODE_TYPES:
        raise RecordError(f"episode_type: {kind!r} is not one of {', '.join(EPISODE_TYPES)}")
    explicit = fields.get("explicit")
    if explicit is not None and not isinstance(explicit, bool):
        raise RecordError(f"explicit: must be true or false, got {explicit!r}")
    transcript, transcript_type = _text("transcript", fields.get("transcript")) or "", ""
    if transcript:
        transcript = _checked_url("transcript", transcript, base)
        extension = transcript.split("?", 1)[0].rpartition(".")[2].lower()
        if extension not in TRANSCRIPT_TYPES:
            known = ", ".join(f".{ext}" for ext in TRANSCRIPT_TYPES)
            raise RecordError(f"transcript: give a file ending in one of {known}")
        transcript_type = TRANSCRIPT_TYPES[extension]
    return Episode(
        number=_number("episode", fields.get("episode")),
        season=_number("season", fields.get("season")),
        type=kind,
        explicit=explicit,
        transcript=transcript,
        transcript_type=transcript_type,
    )


def _language(value: Any) -> str | None:
    language = _text("language", value)
    if language is not None and not re.match(LANGUAGE_TAG, language):
        raise RecordError(f"language: {language!r} is not a language tag like ru or kk-KZ")
    return language


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
        body_html = source if markdown_body is None else commonmark.to_html(source)
    if len(body_html) > BODY_MAX:
        raise RecordError(f"body: {len(body_html):,} characters, over the {BODY_MAX:,} allowed")
    draft = fields.get("draft", False)
    if not isinstance(draft, bool):
        raise RecordError(f"draft: must be true or false, got {draft!r}")
    title = _text("title", fields.get("title"), required=True) or ""
    slug = _text("slug", fields.get("slug"))
    url = _url("url", fields.get("url"))
    base = url or article_link(site.article_url, slugify(slug or title))
    body, found_media = markup.sanitize(body_html, base)
    media = _media(fields.get("media"), base)
    stated_urls = {m.url for m in media}
    # Audio and video found in the body are held to the limits of stated media: one
    # past them is left out (its link stays in the body), with a warning.
    fitting = [
        m
        for m in found_media
        if m.url not in stated_urls
        and len(m.url) <= LENGTHS["media.url"]
        and len(m.title) <= LENGTHS["media.title"]
    ]
    kept = fitting[: max(0, COUNTS["media"] - len(media))]
    media += tuple(kept)
    warnings: tuple[str, ...] = ()
    if left_out := len({m.url for m in found_media} - stated_urls) - len(kept):
        warnings += (
            f"media: {left_out} of the audio and video in the body left out of the item's "
            f"media (over {COUNTS['media']} in all, or a URL over "
            f"{LENGTHS['media.url']:,} characters); their links stay in the body",
        )
    if (size := len(body.encode())) > ITEM_BODY_MAX:
        body = markup.capped(body, ITEM_BODY_MAX, base)
        warnings += (
            f"body: {size:,} bytes as published, over the {ITEM_BODY_MAX:,} feed readers "
            "take; cut after the last whole block that fits, with a link to the article",
        )
    return SourceArticle(
        store=store,
        key=key,
        origin=origin,
        title=title,
        body_html=body,
        summary_html=markup.summary_html(
            _text("summary", fields.get("summary")), body, site.summary_length
        ),
        authors=_texts("author", fields.get("author")),
        categories=_texts("categories", fields.get("categories")),
        tags=_texts("tags", fields.get("tags")),
        region=_text("region", fields.get("region")),
        language=_language(fields.get("language")),
        explicit_id=_text("id", fields.get("id")),
        slug=slugify(slug) if slug else None,
        url=url,
        image=_image(fields.get("image"), base),
        media=media,
        episode=_episode(fields, base),
        published=parse_when("published", fields.get("published"), site.zone),
        updated=parse_when("updated", fields.get("updated"), site.zone),
        draft=draft,
        warnings=warnings,
    )


def _episode_fields(episode: Episode | None) -> dict[str, Any]:
    if episode is None:
        return {}
    return {
        "episode": episode.number,
        "season": episode.season,
        "episode_type": episode.type,
        "explicit": episode.explicit,
        "transcript": episode.transcript or None,
    }


def admit(article: SourceArticle, site: SiteContext) -> SourceArticle:
    """An article a store outside feedsvc made, held to a record's rules: every field
    bounded and checked, the HTML sanitised, links made absolute (RecordError if not).
    A summary it gives is taken as text."""
    image = article.image
    fields = {
        "title": article.title,
        "summary": markup.first_paragraph_text(article.summary_html) or None,
        "author": list(article.authors),
        "categories": list(article.categories),
        "tags": list(article.tags),
        "region": article.region,
        "language": article.language,
        "id": article.explicit_id,
        "slug": article.slug,
        "url": article.url,
        "image": None
        if image is None
        else {"url": image.url, "alt": image.alt, "type": image.type, "length": image.length},
        "media": [media.__dict__ for media in article.media] or None,
        **_episode_fields(article.episode),
        "published": article.published,
        "updated": article.updated,
        "draft": article.draft,
    }
    made = build(
        {name: value for name, value in fields.items() if value is not None},
        store=article.store,
        key=article.key,
        origin=article.origin,
        site=site,
        body_html=article.body_html,
    )
    if article.file_time is not None and not isinstance(article.file_time, datetime):
        raise RecordError(f"file_time: must be a date-time, got {type(article.file_time).__name__}")
    return replace(made, latest=_latest(article.latest), file_time=article.file_time)


def _latest(value: Any) -> tuple[str, ...]:
    """A page's own latest-news headlines: strings, each a clean title, so many at most."""
    if not isinstance(value, tuple | list) or not all(isinstance(h, str) for h in value):
        raise RecordError(f"latest: must be a list of headlines, got {type(value).__name__}")
    headlines = (one_line(headline)[: LENGTHS["title"]] for headline in value)
    return tuple(filter(None, headlines))[:LATEST_MAX]


def admit_scan(scan: Scan, site: SiteContext) -> Scan:
    """Every article of a scan through `admit`; one that fails is its source's problem
    (read again next time), the others go in."""
    for source in scan.changed:
        admitted = []
        for article in source.articles:
            try:
                admitted.append(admit(article, site))
            except RecordError as exc:
                source.problems.append(Problem(article.origin, exc.reason))
                source.signature = None
            except Exception as exc:
                source.problems.append(Problem(getattr(article, "origin", "?"), unreadable(exc)))
                source.signature = None
        source.articles = admitted
    return scan
