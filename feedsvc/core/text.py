"""Text hygiene shared by every layer: XML-safe characters, headline keys, slugs, and
URLs with their secrets left out."""

import re
import unicodedata
from functools import lru_cache
from urllib.parse import quote

# Characters XML 1.0 forbids, plus C1 controls and DEL, which it merely discourages
# but which no news text needs and some readers choke on.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Every quote mark, straight or typographic, single or double, compares as one.
_QUOTES = str.maketrans(
    dict.fromkeys("'\u2018\u2019\u201a\u201b\u2032\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"')
)

# Bidirectional embeddings, overrides and isolates: in a headline or a name they can make
# a reader show text in another order than it is stored ("Trojan Source").
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")

# An IETF language tag (BCP 47 shape: "ru", "kk", "en-GB", "zh-Hant-TW"), or empty.
LANGUAGE_TAG = r"^([A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)?$"

# A URL's user information (RFC 3986 3.2.1, "user:password@"), which may be a secret:
# config URLs of WebDAV targets and databases carry one.
_USERINFO = re.compile(r"(?<=//)[^/?#\s]*@")
# A query parameter whose name says it is a secret (?token=, &api_key=, &sig=): hubs
# and feeds are often configured with one.
_SECRET_PARAMETER = re.compile(
    r"(?<=[?&;])([\w.-]*(?:token|key|secret|pass|auth|sig|credential|session)[\w.-]*=)"
    r"[^&#;\s\"'<>]+",
    re.IGNORECASE,
)

# The folders of an absolute file path ("/srv/news/public/" of ".../main.rss"), not
# the path part of a URL (after a host name) nor a relative path.
_FOLDERS = re.compile(r"(?<![\w.:/~%-])(?:/[^\s'\"/]+)+/(?=[^\s'\"/])")

_SLUG_WORD = re.compile(r"[^\W_]+")
SLUG_MAX = 80


def clean_text(text: str) -> str:
    """NFC-normalise, unify line ends and drop characters XML 1.0 cannot carry."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub("", unicodedata.normalize("NFC", text))


def one_line(text: str) -> str:
    """A title or a name: clean, on one line, spaces collapsed, no bidi controls."""
    return collapse_spaces(_BIDI_CONTROLS.sub("", clean_text(text)))


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def headline_key(headline: str) -> str:
    """The form two headlines are compared in: case, quote marks and spacing ignored.
    Kept a while: taking an article in asks it of its title four times."""
    text = _BIDI_CONTROLS.sub("", unicodedata.normalize("NFKC", headline))
    return collapse_spaces(text.translate(_QUOTES).casefold())


@lru_cache(maxsize=16384)
def slugify(text: str) -> str:
    """A URL slug that keeps Unicode letters (Cyrillic stays Cyrillic), cut at a word.
    Kept for the values met most: a site's few thousand labels are slugged for every
    article they are on (140,000 times in a 20,000-article first build)."""
    words = _SLUG_WORD.findall(headline_key(text).replace('"', ""))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > SLUG_MAX:
            break
        slug = candidate
    return slug or (words[0][:SLUG_MAX] if words else "item")


def article_link(pattern: str, slug: str) -> str:
    """The article URL pattern filled in; a Unicode slug is percent-encoded."""
    return pattern.replace("{slug}", quote(slug, safe="-"))


def redacted_url(text: str) -> str:
    """The text with the user information of every URL in it, and the value of every
    query parameter named as a secret, replaced by "***": what a log line, an error, a
    command's output, /healthz or /metrics may show of a configured URL."""
    return _SECRET_PARAMETER.sub(r"\1***", _USERINFO.sub("***@", text))


def shareable(text: str) -> str:
    """An error as /healthz and API answers may show it to anyone: no URL's secrets, and
    no absolute file paths (they tell how the server is laid out), only file names."""
    return _FOLDERS.sub("…/", redacted_url(text))
