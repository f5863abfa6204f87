"""Pages for people: the index of every feed, and a readable preview of each.

Server-rendered at build time and published beside the feeds, so any web
server can serve them. No JavaScript is needed; a small script only adds the
one-click copy buttons where a browser allows it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from feedsvc.core.config import FeedFormat, SiteSettings
from feedsvc.core.layout import INDEX_PAGE, OPML_FILE, OutputFile
from feedsvc.core.model import FeedItem
from feedsvc.feeds.formats import FORMATS
from feedsvc.feeds.opml import opml
from feedsvc.feeds.specs import FeedSpec, feed_path, preview_path, public_url

PREVIEW_ITEMS = 5

_STYLE = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:1.5rem auto;padding:0 1rem}
body{color:#222}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .4rem}
a{color:#0645ad}.desc,.when{color:#555;font-size:.9rem}
.feed{border-top:1px solid #ddd;padding:.6rem 0}
.urls{display:flex;flex-direction:column;gap:.3rem;margin:.4rem 0}
.url{display:flex;gap:.4rem;align-items:center;flex-wrap:wrap}
.url input{flex:1;min-width:12rem;font:inherit;font-size:.85rem;padding:.2rem .3rem}
.url button{font:inherit;font-size:.85rem}
.fmt{display:inline-block;min-width:6.5rem;font-size:.85rem}
article{margin:1rem 0}article h3{font-size:1.05rem;margin:0}
details{margin:.4rem 0}
""".strip()

# Progressive enhancement: without it every address still shows, selectable.
_COPY_SCRIPT = """
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.textContent = "Copied";
    });
  });
});
""".strip()


@dataclass(frozen=True)
class SiteNames:
    """What a preview page says of the site, and nothing else."""

    title: str
    base_url: str
    language: str


@dataclass(frozen=True)
class FeedNames:
    """What a preview page says of its feed, and nothing else."""

    key: str
    title: str
    description: str
    formats: tuple[FeedFormat, ...]
    translations: tuple[tuple[str, str], ...]


PageSite = SiteSettings | SiteNames  # what the pages are told of the site
PageFeed = FeedSpec | FeedNames  # ... and of a feed


@dataclass(frozen=True)
class Preview:
    """A feed's preview page but for its items: sent with the document to the process
    that renders it, which writes the page there too (made here, the pages of a
    3,801-feed build took a second of the main process, which the build waits on)."""

    path: str
    site: SiteNames
    feed: FeedNames

    @classmethod
    def of(cls, site: SiteSettings, spec: FeedSpec) -> "Preview":
        return cls(
            preview_path(spec.key),
            SiteNames(site.title, site.base_url, site.language),
            FeedNames(spec.key, spec.title, spec.description, spec.formats, spec.translations),
        )

    def file(self, items: Sequence[FeedItem]) -> OutputFile:
        return OutputFile(self.path, preview_html(self.site, self.feed, items).encode())


def discovery_links(base_url: str, specs: Sequence[PageFeed]) -> list[str]:
    """<link rel="alternate"> tags for an HTML head, one per feed and format."""
    return [
        f'<link rel="alternate" type="{FORMATS[fmt].media_type}" '
        f'title="{escape(spec.title)} ({FORMATS[fmt].label})" '
        f'href="{escape(public_url(base_url, feed_path(spec.key, fmt)))}">'
        for spec in specs
        for fmt in spec.formats
    ]


def _urls(base_url: str, spec: PageFeed) -> str:
    rows = []
    for fmt in spec.formats:
        label = FORMATS[fmt].label
        url = escape(public_url(base_url, feed_path(spec.key, fmt)))
        rows.append(
            f'<div class="url"><span class="fmt">{label}</span>'
            f'<input readonly value="{url}" '
            f'aria-label="{label} address of {escape(spec.title)}">'
            f'<button type="button" data-copy="{url}" hidden>Copy</button>'
            f'<a href="{url}">open</a></div>'
        )
    return f'<div class="urls">{"".join(rows)}</div>'


def _items(items: Sequence[FeedItem]) -> str:
    if not items:
        return "<p>No stories yet.</p>"
    parts = []
    for item in items:
        byline = f" · {escape(', '.join(item.authors))}" if item.authors else ""
        summary = f"<p>{item.summary_html}</p>" if item.summary_html else ""
        parts.append(
            f'<article><h3><a href="{escape(item.link)}">{escape(item.title)}</a></h3>'
            f'<div class="when"><time datetime="{item.published.isoformat()}">'
            f"{item.published:%Y-%m-%d %H:%M} UTC</time>{byline}</div>{summary}</article>"
        )
    return "\n".join(parts)


def _page(site: PageSite, title: str, head: Sequence[str], body: str) -> str:
    return f"""<!doctype html>
<html lang="{escape(site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
{chr(10).join(head)}
<style>{_STYLE}</style>
</head>
<body>
{body}
<script>{_COPY_SCRIPT}</script>
</body>
</html>
"""


def emptied_note(site: SiteSettings, spec: FeedSpec) -> str | None:
    """What to say of a family member whose last article went, or None."""
    if spec.emptied is None:
        return None
    gone = spec.emptied + timedelta(days=site.empty_family_days)
    return (
        f"no stories since {spec.emptied:%Y-%m-%d}; "
        f"this feed will be removed (410 Gone) on {gone:%Y-%m-%d}"
    )


def _feed_block(site: SiteSettings, spec: FeedSpec) -> str:
    preview = escape(public_url(site.base_url, preview_path(spec.key)))
    note = emptied_note(site, spec)
    empty = f'<div class="when">{escape(note)}</div>' if note else ""
    return (
        f'<div class="feed"><strong><a href="{preview}">{escape(spec.title)}</a></strong>'
        f'<div class="desc">{escape(spec.description)}</div>{empty}'
        f"{_urls(site.base_url, spec)}</div>"
    )


def feed_sections(site: SiteSettings, specs: Sequence[FeedSpec]) -> str:
    """The index's list of feeds, families folded under their name."""
    sections = []
    families: dict[str, list[FeedSpec]] = {}
    for spec in specs:
        if spec.value is None:
            sections.append(_feed_block(site, spec))
        else:
            families.setdefault(spec.feed.name, []).append(spec)
    for name, members in families.items():
        per = members[0].feed.per
        blocks = "\n".join(_feed_block(site, spec) for spec in members)
        sections.append(
            f'<details class="family"><summary><strong>{escape(name)}</strong>: '
            f"one feed per {per} ({len(members)})</summary>{blocks}</details>"
        )
    return "\n".join(sections)


def index_html(
    site: SiteSettings, specs: Sequence[FeedSpec], newest: Sequence[FeedItem], sections: str
) -> str:
    """Every feed (`sections`, from feed_sections: kept while the feeds stay), and the
    newest stories."""
    named = [spec for spec in specs if spec.value is None]
    opml = escape(public_url(site.base_url, OPML_FILE))
    body = f"""<h1>{escape(site.title)}: feeds</h1>
<p>Subscribe in any feed reader: copy a feed's address, give the reader
<a href="{escape(site.url)}">{escape(site.url)}</a>, or import
<a href="{opml}">every feed at once (OPML)</a>.</p>
<h2>Feeds</h2>
{sections}
<h2>Newest stories</h2>
{_items(newest[:PREVIEW_ITEMS])}"""
    head = discovery_links(site.base_url, named)
    return _page(site, f"{site.title}: feeds", head, body)


class SitePages:
    """index.html and feeds.opml for a build. Their list of feeds is made again only when
    the feeds changed: with thousands of feeds that is most of their cost."""

    def __init__(self, site: SiteSettings) -> None:
        self.site = site
        self._specs: Sequence[FeedSpec] | None = None
        self._sections = ""
        self._opml = b""

    def files(self, specs: Sequence[FeedSpec], newest: Sequence[FeedItem]) -> list[OutputFile]:
        if specs is not self._specs:  # a build that changed no feed keeps the same list
            self._specs = specs
            self._sections = feed_sections(self.site, specs)
            self._opml = opml(self.site, specs)
        page = index_html(self.site, specs, newest, self._sections)
        return [OutputFile(INDEX_PAGE, page.encode()), OutputFile(OPML_FILE, self._opml)]


def _translations(site: PageSite, spec: PageFeed) -> tuple[list[str], str]:
    """hreflang links to a language family's other members: for the head, and to show."""
    found = [
        (escape(language), escape(public_url(site.base_url, preview_path(key))))
        for language, key in spec.translations
    ]
    head = [f'<link rel="alternate" hreflang="{lang}" href="{url}">' for lang, url in found]
    shown = ", ".join(f'<a hreflang="{lang}" href="{url}">{lang}</a>' for lang, url in found)
    return head, f'<p class="desc">Also in: {shown}</p>' if found else ""


def preview_html(site: PageSite, spec: PageFeed, items: Sequence[FeedItem]) -> str:
    """A feed as a person reads it, with its addresses to subscribe."""
    home = escape(public_url(site.base_url, ""))
    head, also = _translations(site, spec)
    body = f"""<p><a href="{home}">All feeds of {escape(site.title)}</a></p>
<h1>{escape(spec.title)}</h1>
<p class="desc">{escape(spec.description)}</p>
{also}
{_urls(site.base_url, spec)}
{_items(items)}"""
    return _page(site, spec.title, [*discovery_links(site.base_url, [spec]), *head], body)
