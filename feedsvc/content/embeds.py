"""Media in CMS markup made to survive sanitising, before nh3 sees it.

What CMSs write for speed or interactivity comes out of a sanitiser broken or
gone: a lazy image's real address is in data-src behind a data: placeholder,
<picture> keeps its sources in <source>, a video platform's player is an
<iframe>, a <video> holds only fallback text, a social post is a script. Here
each becomes what a feed reader can show: an <img> with a usable src, or a link
(with the poster image when one is known). Audio and video found are returned,
for the item's enclosures.
"""

import html
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import lxml.html
from lxml import etree

from feedsvc.content.media import media_type
from feedsvc.core.model import Media

# An <embed> start tag (quoted attribute values may hold ">"), and <object> parameters
# that name what it plays.
_EMBED = re.compile(r"""<embed\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_OBJECT_PARAMS = frozenset({"movie", "src", "url", "filename", "data"})
# Elements whose content is a sentence: a paragraph put in one would split it.
_PHRASING = frozenset({
    "p", "span", "a", "em", "strong", "b", "i", "u", "small", "q", "cite", "li", "td",
    "th", "dt", "dd", "figcaption", "caption", "h1", "h2", "h3", "h4", "h5", "h6",
})  # fmt: skip
# Bodies without any of these go to nh3 untouched: most paragraphs of text.
_TRIGGER = re.compile(
    r"<(?:img|picture|iframe|video|audio|blockquote|noscript|embed|object|script|div)\b",
    re.IGNORECASE,
)
_LAZY_SRC = ("data-src", "data-lazy-src", "data-original", "data-orig-file", "data-url")
_LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")
_PICTURE_TYPES = frozenset({"", "image/jpeg", "image/png", "image/gif", "image/webp"})
_HTTP = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)
_PLAY, _LISTEN = "\u25b6 Watch", "\u25b6 Listen"

# Social posts that embed as a blockquote or an empty div with the post's address in an
# attribute; the platform's script that draws them is dropped with every script.
_POST_CLASSES = {
    "twitter-tweet": "X",
    "instagram-media": "Instagram",
    "tiktok-embed": "TikTok",
    "fb-post": "Facebook",
    "threads-embed": "Threads",
    "bluesky-embed": "Bluesky",
    "mastodon-embed": "Mastodon",
}
_POST_ADDRESS = ("data-instgrm-permalink", "cite", "data-href", "data-bluesky-uri")


@dataclass(frozen=True)
class Player:
    """A video platform's page and poster for an embedded player."""

    platform: str
    page: str
    poster: str = ""


def _youtube(video: str) -> Player:
    return Player(
        "YouTube",
        f"https://www.youtube.com/watch?v={video}",
        f"https://i.ytimg.com/vi/{video}/hqdefault.jpg",
    )


_VIDEO_ID = r"([\w-]{4,64})"


def player(url: str) -> Player | None:
    """The platform page of a player or page address on a video platform, if it is one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    path, query = parts.path, parse_qs(parts.query)
    if host in ("youtube.com", "youtube-nocookie.com"):
        if found := re.match(rf"^/(?:embed|shorts|live|v)/{_VIDEO_ID}", path):
            return _youtube(found.group(1))
        if path == "/watch" and re.fullmatch(_VIDEO_ID, video := query.get("v", [""])[0]):
            return _youtube(video)
    if host == "youtu.be" and (found := re.match(rf"^/{_VIDEO_ID}", path)):
        return _youtube(found.group(1))
    vimeo = re.match(r"^/(?:video/)?(\d+)", path)
    if host in ("vimeo.com", "player.vimeo.com") and vimeo:
        return Player("Vimeo", f"https://vimeo.com/{vimeo.group(1)}")
    if host == "dailymotion.com" and (found := re.match(rf"^/(?:embed/)?video/{_VIDEO_ID}", path)):
        return Player("Dailymotion", f"https://www.dailymotion.com/video/{found.group(1)}")
    if host == "rutube.ru" and (found := re.match(r"^/(?:play/embed|video)/([0-9a-f]{32})", path)):
        return Player("Rutube", f"https://rutube.ru/video/{found.group(1)}/")
    if host in ("vk.com", "vkvideo.ru") and path == "/video_ext.php":
        owner, video = query.get("oid", [""])[0], query.get("id", [""])[0]
        if re.fullmatch(r"-?\d+", owner) and re.fullmatch(r"\d+", video):
            return Player("VK Video", f"https://vk.com/video{owner}_{video}")
    # Drupal's oEmbed frame carries the page it shows in ?url=.
    if path.endswith("/media/oembed") and (page := query.get("url", [""])[0]):
        return player(page)
    return None


class _Tails:
    """Removing and replacing elements, the text after a removed one kept: joined onto
    what stood before it once, at the end. Joined as each went, the growing text was
    copied every time (31 s for a body of 100,000 images with no address)."""

    def __init__(self) -> None:
        self.after: dict[etree._Element, list[str]] = {}  # element -> text after its tail
        self.inside: dict[etree._Element, list[str]] = {}  # parent -> text after its text

    def drop(self, element: etree._Element) -> None:
        parent = element.getparent()
        if parent is None:
            return
        moved = [element.tail or "", *self.after.pop(element, [])]
        previous = element.getprevious()
        if previous is not None:
            self.after.setdefault(previous, []).extend(moved)
        else:
            self.inside.setdefault(parent, []).extend(moved)
        parent.remove(element)

    def replace(self, element: etree._Element, new: etree._Element) -> None:
        """`element` becomes `new`; a paragraph of a link, where a paragraph may not
        stand (inside a sentence), becomes the link alone."""
        parent = element.getparent()
        if parent is None:
            return
        if new.tag == "p" and len(new) == 1 and parent.tag in _PHRASING:
            new = new[0]
        new.tail = element.tail
        if element in self.after:
            self.after[new] = self.after.pop(element)
        parent.replace(element, new)

    def join(self) -> None:
        for element, parts in self.after.items():
            element.tail = (element.tail or "") + "".join(parts)
        for element, parts in self.inside.items():
            element.text = (element.text or "") + "".join(parts)
        self.after.clear()
        self.inside.clear()


@dataclass
class _Rewrite:
    base: str
    media: list[Media] = field(default_factory=list)
    tails: _Tails = field(default_factory=_Tails)

    def url(self, value: str | None) -> str:
        """An absolute http(s) URL, or "" for anything else (data:, javascript:, none)."""
        value = (value or "").strip()
        if not value or value.lower().startswith("data:"):
            return ""
        try:
            absolute = urljoin(self.base, value)
        except ValueError:
            return ""
        return absolute if _HTTP.match(absolute) else ""

    def first_url(self, element: etree._Element, names: tuple[str, ...]) -> str:
        """The first of these attributes that holds a usable URL, made absolute, or ""."""
        return next(filter(None, map(self.url, map(element.get, names))), "")

    def srcset(self, value: str | None) -> str:
        """A srcset with every candidate absolute; candidates that are not http(s) go
        (a data: placeholder among them, commas and all)."""
        kept = []
        for url, descriptor in srcset_candidates(value or ""):
            if absolute := self.url(url):
                kept.append(f"{absolute} {descriptor}".strip())
        return ", ".join(kept)

    # -- images ---------------------------------------------------------------

    def address(self, img: etree._Element) -> tuple[str, str]:
        """(src, srcset) of an image: a lazy-load attribute's over a placeholder src."""
        src = self.url(img.get("src"))
        for name in _LAZY_SRC:
            if lazy := self.url(img.get(name)):
                src = lazy  # the lazy one is the real image; src is a placeholder
                break
        srcset = next((img.get(n) for n in _LAZY_SRCSET if img.get(n)), img.get("srcset"))
        srcset = self.srcset(srcset)
        return src or _largest(srcset), srcset

    def image(self, img: etree._Element) -> None:
        src, srcset = self.address(img)
        if src:
            _point(img, src, srcset)
        else:
            self.tails.drop(img)

    def picture(self, picture: etree._Element) -> None:
        """<picture> becomes its <img>, with the first source readers can show as srcset
        and that source's largest image when the <img> has none of its own."""
        img = next(picture.iter("img"), None)
        if img is None:
            img = etree.Element("img")
        sources = [  # a lazy-load plugin's real sources over its placeholder
            self.srcset(source.get("data-srcset")) or self.srcset(source.get("srcset"))
            for source in picture.iter("source")
            if (source.get("type") or "").lower() in _PICTURE_TYPES
        ]
        sources = [srcset for srcset in sources if srcset]
        src, srcset = self.address(img)
        if sources:
            src, srcset = src or _largest(sources[0]), srcset or sources[0]
        if not src:
            self.tails.drop(picture)
            return
        _point(img, src, srcset)
        self.tails.replace(picture, img)

    def noscript(self, noscript: etree._Element) -> None:
        """A lazy-load plugin's <noscript><img></noscript> copy of the image before it goes
        (lending its address if the image has none); a lone one is unwrapped."""
        copy = next(noscript.iter("img"), None)
        before = self._copied(noscript, copy)
        if copy is None:
            self.tails.drop(noscript)
        elif before is not None and before.tag == "img":
            if not self.url(before.get("src")) and not any(before.get(n) for n in _LAZY_SRC):
                before.set("src", copy.get("src") or "")
            self.tails.drop(noscript)
        else:
            self.tails.replace(noscript, copy)

    def _copied(
        self, noscript: etree._Element, copy: etree._Element | None
    ) -> etree._Element | None:
        """The image a <noscript> copies: the one just before it, or a lazy one before it
        in the same parent (in a wrapper of its own, or words between) with its address."""
        before = noscript.getprevious()
        if copy is None or (before is not None and before.tag == "img"):
            return before
        address = self.url(copy.get("src"))
        for sibling in noscript.itersiblings(preceding=True):
            for img in sibling.iter("img"):
                if address and address in {self.url(img.get(n)) for n in ("src", *_LAZY_SRC)}:
                    return img
        return before

    # -- players, posts, audio and video ---------------------------------------

    def frame(self, frame: etree._Element) -> None:
        """An <iframe>, <embed> or <object>: a link to what it showed, never nothing (an
        <object> says it in its data, a <param> or the <embed> inside it)."""
        src = self.first_url(frame, ("data-src", "src", "data"))
        if not src and frame.tag == "object":
            movies = [
                param.get("value")
                for param in frame.iter("param")
                if (param.get("name") or "").lower() in _OBJECT_PARAMS
            ]
            inner = [embed.get("src") for embed in frame.iter("embed")]
            src = next(filter(None, map(self.url, [*movies, *inner])), "")
        if not src:
            self.tails.drop(frame)
            return
        title = (frame.get("title") or "").strip()
        if found := player(src):
            self.tails.replace(frame, _watch(found, title))
        else:
            host = urlsplit(src).hostname or src
            self.tails.replace(frame, _link(src, f"Embedded content: {title or host}"))

    def wrapper(self, div: etree._Element) -> None:
        """A WordPress embed block as saved: a bare page URL in a wrapper div."""
        if "wp-block-embed__wrapper" not in (div.get("class") or "") or len(div):
            return
        url = self.url(div.text)
        if not url:
            return
        div.text = None
        if found := player(url):
            div.append(_watch(found))
        else:
            div.append(_link(url, url))

    def post(self, element: etree._Element) -> None:
        """A social post embed: its text stays, and a link to the post is made sure of."""
        classes = (element.get("class") or "").split()
        platform = next((_POST_CLASSES[c] for c in classes if c in _POST_CLASSES), None)
        if platform is None:
            return
        address = self.first_url(element, _POST_ADDRESS)
        if not address:
            return
        host = urlsplit(address).hostname
        links = [a for a in element.iter("a") if urlsplit(self.url(a.get("href"))).hostname == host]
        if not links:
            element.append(_link(address, f"View the post on {platform}"))

    def script(self, script: etree._Element) -> None:
        """Telegram's post widget is a script alone: it becomes a link to the post."""
        post = script.get("data-telegram-post") or ""
        if re.fullmatch(r"\w{3,64}/\d{1,12}", post):
            self.tails.replace(script, _link(f"https://t.me/{post}", "View the post on Telegram"))

    def playable(self, element: etree._Element) -> None:
        """<video> and <audio>: kept as media of the item and as a link in the text."""
        kind = element.tag
        sources = [(element.get("src") or element.get("data-src"), element.get("type"))]
        sources += [(s.get("src"), s.get("type")) for s in element.iter("source")]
        found = [(url, type_) for src, type_ in sources if (url := self.url(src))]
        if not found:
            self.tails.drop(element)
            return
        url, stated = found[0]
        title = (element.get("title") or element.get("aria-label") or "").strip()
        self.media.append(Media(url, media_type(url, stated, kind), title=title))
        poster = self.url(element.get("poster")) if kind == "video" else ""
        words = f"{_PLAY} the video" if kind == "video" else f"{_LISTEN} to the audio"
        self.tails.replace(
            element, _play_link(url, poster, f"{words}: {title}" if title else words)
        )

    def run(self, root: etree._Element) -> None:
        # Whole constructs first (their own images inside are theirs to settle).
        for element in list(root.iter("picture")):
            self.picture(element)
        for element in list(root.iter("video", "audio")):
            self.playable(element)
        for element in list(root.iter("iframe", "embed", "object")):
            self.frame(element)
        for element in list(root.iter("script")):
            self.script(element)
        for element in list(root.iter("div")):
            self.wrapper(element)
        for element in list(root.iter("blockquote", "div")):
            self.post(element)
        for element in list(root.iter("noscript")):
            self.noscript(element)
        for element in list(root.iter("img")):
            self.image(element)
        self.tails.join()


def srcset_candidates(srcset: str) -> list[tuple[str, str]]:
    """(URL, descriptor) of each image candidate, split as the HTML standard does: a
    URL runs to whitespace (a comma inside it, as in a data: URL, is its own), a comma
    ending it ends the candidate, and descriptors run to a comma outside parentheses."""
    found: list[tuple[str, str]] = []
    position, end = 0, len(srcset)
    while position < end:
        while position < end and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < end and not srcset[position].isspace():
            position += 1
        url = srcset[start:position]
        if not url:
            break
        if url.endswith(","):
            found.append((url.rstrip(","), ""))
            continue
        start, depth = position, 0
        while position < end and (srcset[position] != "," or depth):
            depth += {"(": 1, ")": -1}.get(srcset[position], 0)
            position += 1
        found.append((url, " ".join(srcset[start:position].split())))
    return found


def _largest(srcset: str) -> str:
    """The candidate with the largest width or density descriptor."""

    def size(candidate: str) -> float:
        _, _, descriptor = candidate.strip().partition(" ")
        number = descriptor.strip()[:-1]
        return float(number) if re.fullmatch(r"\d+(\.\d+)?", number) else 1.0

    candidates = [f"{url} {descriptor}" for url, descriptor in srcset_candidates(srcset)]
    return max(candidates, key=size).split()[0] if candidates else ""


def _point(img: etree._Element, src: str, srcset: str) -> None:
    """Set an image's addresses; no srcset attribute when it has none."""
    img.set("src", src)
    if srcset:
        img.set("srcset", srcset)
    else:
        img.attrib.pop("srcset", None)


def _link(href: str, words: str) -> etree._Element:
    paragraph = etree.Element("p")
    link = etree.SubElement(paragraph, "a", href=href)
    link.text = words
    return paragraph


def _play_link(href: str, poster: str, words: str) -> etree._Element:
    """A link to the player, its poster image in it when known."""
    paragraph = _link(href, words)
    if poster:
        link = paragraph[0]
        image = etree.Element("img", src=poster, alt="")
        image.tail, link.text = words, None
        link.insert(0, image)
    return paragraph


def _watch(found: Player, title: str = "") -> etree._Element:
    """ "▶ Watch on YouTube: its title", linking the platform's page, with its poster."""
    words = f"{_PLAY} on {found.platform}" + (f": {title}" if title else "")
    return _play_link(found.page, found.poster, words)


def rewrite(body_html: str, base_url: str) -> tuple[str, list[Media]]:
    """The body with its media made plain, and the audio and video it holds."""
    if not _TRIGGER.search(body_html):
        return body_html, []
    # HTML5 knows <embed> as void; libxml2 does not, and took what follows for its content.
    body_html = _EMBED.sub(lambda found: found.group(0) + "</embed>", body_html)
    try:
        root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    except (etree.ParserError, ValueError):  # nothing lxml can parse: nh3 has the last word
        return body_html, []
    work = _Rewrite(base_url)
    work.run(root)
    inner = html.escape(root.text or "", quote=False)
    inner += "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)
    media: dict[str, Media] = {}
    for found in work.media:
        media.setdefault(found.url, found)
    return inner, list(media.values())
