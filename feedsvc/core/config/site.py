"""[site]: what the site is called, where it lives, and how its feeds read."""

import zoneinfo
from typing import Annotated, Literal

from pydantic import Field, field_validator

from feedsvc.core.config.base import Description, Section, Title, absolute_http_url


class SiteSettings(Section):
    title: Title = "Example News"
    """The site's name: the main feed's title and the index page's; `{site.title}` in a
    feed's title or description."""
    url: str = "https://example.org/"
    """The site's home page, which every feed links to."""
    description: Description = "The latest stories from Example News."
    """The main feed's description."""
    language: str = "en"
    """The articles' language, an IETF tag (en, ru, kk): RSS `<language>`, Atom
    `xml:lang`."""
    article_url: str = "https://example.org/{slug}/"
    """An article's link; its slug is made from the headline when first seen, then kept.
    Latest-news headlines with no article in the store link here too."""
    base_url: str = "http://127.0.0.1:8080/"
    """Where the feeds are publicly reachable (this server, or wherever the publish
    folder is served from): `rel="self"` is this plus `feeds/NAME.rss`."""
    timezone: str = "UTC"
    """Time zone of cron schedules and of dates given without one (`Asia/Almaty`)."""
    summary_length: Annotated[int, Field(ge=20, le=5000)] = 300
    """Where a made summary (an article's first paragraph) is cut: characters, at a
    word boundary."""
    image: str = ""
    """Absolute URL of the site's logo: RSS channel image, Atom logo, JSON Feed icon."""
    icon: str = ""
    """Absolute URL of its small square icon: Atom icon, JSON Feed favicon."""
    empty_family_days: Annotated[int, Field(ge=0, le=36500)] = 30
    """Days a family member (one feed per category, tag, ...) whose last article went
    is served as a valid empty feed, so its subscribers see the removal; then it
    answers 410 Gone and its files are deleted everywhere."""
    tombstone_days: Annotated[int, Field(ge=0, le=36500)] = 30
    """Days an Atom feed announces an article that left it (RFC 6721
    `at:deleted-entry`)."""
    media_probe: Literal["off", "public", "any"] = "off"
    """Audio in article bodies has no stated length, which podcast apps need: `off`
    leaves it out of podcast feeds (with a warning); `public` asks its server once, by
    a 64 KB range request, for length and duration (kept in the state); `any` asks
    private addresses too."""
    robots: Annotated[str, Field(pattern=r"^[\w ,:-]{0,200}$")] = "noindex"
    """`X-Robots-Tag` of feed documents (not the HTML pages), so search engines list
    the site's pages rather than its feeds; empty: no header."""
    logo: str = ""
    """Feedly's `webfeeds:logo`: a wide logo (SVG best), absolute URL."""
    cover: str = ""
    """Feedly's `webfeeds:cover`: a cover image, absolute URL."""
    accent_color: Annotated[str, Field(pattern=r"^([0-9A-Fa-f]{6})?$")] = ""
    """Feedly's accent colour, six hex digits (`C0392B`)."""
    related: Literal["", "card"] = ""
    """`card`: Feedly's related-stories cards."""

    @field_validator("image", "icon", "logo", "cover")
    @classmethod
    def _optional_url(cls, value: str) -> str:
        return value and absolute_http_url(value)

    @field_validator("url", "base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = absolute_http_url(value)
        return value if value.endswith("/") else value + "/"

    @field_validator("article_url")
    @classmethod
    def _article_url(cls, value: str) -> str:
        if "{slug}" not in value:
            raise ValueError("must contain {slug}, e.g. https://example.org/{slug}/")
        return absolute_http_url(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use a name like Asia/Almaty)") from None
        return value
