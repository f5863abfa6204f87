"""Article HTML made safe for every reader: sanitised, absolute links, a summary."""

import functools
import html
import re

import lxml.html
import nh3

from feedsvc.content import embeds
from feedsvc.content.depth import flattened
from feedsvc.content.urls import UnsafeURL, http_url
from feedsvc.core.model import Media
from feedsvc.core.text import clean_text, collapse_spaces

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl",
        "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
        "img", "ins", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong",
        "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "srcset", "sizes", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
}
# Removed with everything inside them; other unknown tags lose only the tag. (Players,
# audio and video are links by then: content.embeds.)
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "template", "noscript", "video", "audio"}
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_SENTENCE_STOP = re.compile(r"[\s,;:.!?\u2026-]+$")


def sanitize(body_html: str, base_url: str) -> tuple[str, list[Media]]:
    """Only what news needs survives; relative links and images resolve against base_url.
    Returns the HTML and the audio and video it held (now links in it)."""
    body, media = embeds.rewrite(flattened(clean_text(body_html)), base_url)
    cleaned = nh3.clean(
        body,
        tags=set(TAGS),
        attributes={tag: set(attrs) for tag, attrs in ATTRIBUTES.items()},
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        url_relative=("rewrite_with_base", base_url),
        attribute_filter=functools.partial(_checked_address, base_url),
    ).strip()
    return cleaned, media


def _checked_address(base_url: str, _tag: str, attribute: str, value: str) -> str | None:
    """Every address in the published markup passes the one URL test (content.urls):
    links, images and a quotation's `cite` (which the sanitiser does not take for a
    URL) absolute http(s) read alike by browsers and Python, or dropped; a mailto:
    link stays. Other attributes as they are."""
    if attribute not in ("href", "src", "cite"):
        return value
    value = value.strip()
    if attribute == "href" and value[:7].lower() == "mailto:":
        return value
    try:
        return http_url(value, base_url)
    except UnsafeURL:
        return None


def first_paragraph_text(body_html: str) -> str:
    """The text of the first block that has any, as a reader would see it."""
    if not body_html.strip():
        return ""
    for element in lxml.html.fragments_fromstring(body_html):
        text = collapse_spaces(element if isinstance(element, str) else element.text_content())
        if text:
            return text
    return ""


def cut(text: str, length: int) -> str:
    """Cut at a word boundary near `length` characters, marking the cut with an ellipsis."""
    if len(text) <= length:
        return text
    head = text[: length + 1]
    space = head.rfind(" ")
    head = head[:space] if space > length // 2 else text[:length]
    return _SENTENCE_STOP.sub("", head) + "\u2026"


def summary_html(given: str | None, body_html: str, length: int) -> str:
    """The source's own summary when it has one, else the body's first paragraph, cut.

    A summary is plain text, escaped: whatever the cut, it never breaks markup.
    """
    text = collapse_spaces(clean_text(given)) if given else first_paragraph_text(body_html)
    return html.escape(cut(text, length), quote=False)


def capped(body_html: str, limit: int, link: str) -> str:
    """The body cut to whole top-level blocks within `limit` bytes of UTF-8, ending in a
    link to the article; as it is when within."""
    if len(body_html) <= limit // 4 or len(body_html.encode()) <= limit:
        return body_html
    more = f'<p><a href="{html.escape(link)}">Continue reading\u2026</a></p>'
    budget = limit - len(more.encode())
    kept: list[str] = []
    for block in lxml.html.fragments_fromstring(body_html):
        text = (
            html.escape(block, quote=False)
            if isinstance(block, str)
            else lxml.html.tostring(block, encoding="unicode", with_tail=True)
        )
        budget -= len(text.encode())
        if budget < 0:
            break
        kept.append(text)
    return "".join(kept) + more
