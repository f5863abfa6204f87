"""Media in CMS markup made to survive sanitising, before nh3 sees it.

What CMSs write for speed or interactivity comes out of a sanitiser broken or
gone: a lazy image's real address is in data-src behind a data: placeholder,
<picture> keeps its sources in <source>, a video platform's player is an
<iframe>, a <video> holds only fallback text, a social post is a script. Here
each becomes what a feed reader can show: an <img> with a usable src, or a link
(with the poster image when one is known). Audio and video found are returned,
for the item's enclosures.
"""

import functools
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from feedsvc.content.media import media_type
from feedsvc.content.urls import UnsafeURL, http_url
from feedsvc.core.model import Media

# <object> parameters that name what it plays.
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
# An absolute address the URL test takes as it is: a plain host, a short port, no
# backslash, space or control character (others go through the whole test).
_PLAIN_ABSOLUTE = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::\d{1,4})?(?:[/?#](?!.*/\.)[^\s\\\x00-\x1f\x7f]*)?\Z"
)
# Marks for made markup: control characters no article text keeps (XML cannot carry
# them: clean_text drops them, and so does rewrite()).
_MARK_START, _MARK_END = "\x01", "\x02"
_MARK = re.compile(f"{_MARK_START}(\\d+){_MARK_END}")
_NO_MARKS = str.maketrans("", "", _MARK_START + _MARK_END)
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


@functools.lru_cache(maxsize=4096)
def _absolute(base: str, value: str) -> str:
    """`value` made absolute against `base` if it is or makes an http(s) URL, else ""
    (remembered: a body repeats its addresses, and joining is most of the pass)."""
    if not value or value[:5].lower() == "data:":
        return ""
    if _PLAIN_ABSOLUTE.match(value):  # what the test would give back as it is
        return value
    try:
        return http_url(value, base)
    except UnsafeURL:
        return ""


@functools.lru_cache(maxsize=4096)
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


def _images(node: LexborNode) -> list[LexborNode]:
    """The node if it is an image, else the images inside it, in document order."""
    return [node] if node.tag == "img" else node.css("img")


@dataclass
class _Rewrite:
    base: str
    media: list[Media] = field(default_factory=list)
    made: list[str] = field(default_factory=list)  # markup put in as marks, in order

    def mark(self, markup: str) -> str:
        """A text mark standing for markup made here, put in place after serialising:
        one pass over the text, where parsing each new link cost 15 us a player."""
        self.made.append(markup)
        return f"{_MARK_START}{len(self.made) - 1}{_MARK_END}"

    def markup(self, serialised: str) -> str:
        return _MARK.sub(lambda found: self.made[int(found.group(1))], serialised)

    def url(self, value: str | None) -> str:
        """An absolute http(s) URL, or "" for anything else (data:, javascript:, none)."""
        return _absolute(self.base, (value or "").strip())

    def first_url(self, element: LexborNode, names: tuple[str, ...]) -> str:
        """The first of these attributes that holds a usable URL, made absolute, or ""."""
        attributes = element.attributes
        return next(filter(None, (self.url(attributes.get(name)) for name in names)), "")

    def srcset(self, value: str | None) -> str:
        """A srcset with every candidate absolute; candidates that are not http(s) go
        (a data: placeholder among them, commas and all)."""
        kept = []
        for url, descriptor in srcset_candidates(value or ""):
            if absolute := self.url(url):
                kept.append(f"{absolute} {descriptor}".strip())
        return ", ".join(kept)

    def replace(self, element: LexborNode, markup: str) -> None:
        """`element` becomes this markup; a paragraph of a link, where a paragraph may not
        stand (inside a sentence), becomes the link alone."""
        parent = element.parent
        if parent is not None and parent.tag in _PHRASING:
            markup = markup.removeprefix("<p>").removesuffix("</p>")
        element.replace_with(self.mark(markup))

    # -- images ---------------------------------------------------------------

    def address(self, img: LexborNode) -> tuple[str, str]:
        """(src, srcset) of an image: a lazy-load attribute's over a placeholder src."""
        attributes = img.attributes
        src = self.url(attributes.get("src"))
        for name in _LAZY_SRC:
            if lazy := self.url(attributes.get(name)):
                src = lazy  # the lazy one is the real image; src is a placeholder
                break
        srcset = next(
            (attributes[n] for n in _LAZY_SRCSET if attributes.get(n)), attributes.get("srcset")
        )
        srcset = self.srcset(srcset)
        return src or _largest(srcset), srcset

    def image(self, img: LexborNode) -> None:
        src, srcset = self.address(img) if img.attributes else ("", "")
        if src:
            _point(img, src, srcset)
        else:
            img.decompose()

    def picture(self, picture: LexborNode) -> None:
        """<picture> becomes its <img>, with the first source readers can show as srcset
        and that source's largest image when the <img> has none of its own."""
        img = picture.css_first("img")
        sources = [  # a lazy-load plugin's real sources over its placeholder
            self.srcset(source.attributes.get("data-srcset"))
            or self.srcset(source.attributes.get("srcset"))
            for source in picture.css("source")
            if (source.attributes.get("type") or "").lower() in _PICTURE_TYPES
        ]
        sources = [srcset for srcset in sources if srcset]
        src, srcset = self.address(img) if img is not None else ("", "")
        if sources:
            src, srcset = src or _largest(sources[0]), srcset or sources[0]
        if not src:
            picture.decompose()
            return
        if img is None:
            attributes = f' srcset="{_quoted(srcset)}"' if srcset else ""
            picture.replace_with(self.mark(f'<img src="{_quoted(src)}"{attributes} alt="">'))
            return
        _point(img, src, srcset)
        picture.replace_with(img, move=True)

    def noscript(self, noscript: LexborNode) -> None:
        """A lazy-load plugin's <noscript><img></noscript> copy of the image before it goes
        (lending its address if the image has none); a lone one is unwrapped."""
        copy = noscript.css_first("img")
        before = self._copied(noscript, copy)
        if copy is None:
            noscript.decompose()
        elif before is not None and before.tag == "img":
            attributes = before.attributes
            if not self.url(attributes.get("src")) and not any(
                attributes.get(n) for n in _LAZY_SRC
            ):
                before.attrs["src"] = copy.attributes.get("src") or ""
            noscript.decompose()
        else:
            noscript.unwrap()

    def _copied(self, noscript: LexborNode, copy: LexborNode | None) -> LexborNode | None:
        """The image a <noscript> copies: the one just before it, or a lazy one before it
        in the same parent (in a wrapper of its own, or words between) with its address."""
        before = _previous_element(noscript)
        if copy is None or (before is not None and before.tag == "img"):
            return before
        address = self.url(copy.attributes.get("src"))
        sibling = before
        while address and sibling is not None:
            for img in _images(sibling):
                if address in {self.url(img.attributes.get(n)) for n in ("src", *_LAZY_SRC)}:
                    return img
            sibling = _previous_element(sibling)
        return before

    # -- players, posts, audio and video ---------------------------------------

    def frame(self, frame: LexborNode) -> None:
        """An <iframe>, <embed> or <object>: a link to what it showed, never nothing (an
        <object> says it in its data, a <param> or the <embed> inside it)."""
        src = self.first_url(frame, ("data-src", "src", "data"))
        if not src and frame.tag == "object":
            movies = [
                param.attributes.get("value")
                for param in frame.css("param")
                if (param.attributes.get("name") or "").lower() in _OBJECT_PARAMS
            ]
            inner = [embed.attributes.get("src") for embed in frame.css("embed")]
            src = next(filter(None, map(self.url, [*movies, *inner])), "")
        if not src:
            frame.decompose()
            return
        title = (frame.attributes.get("title") or "").strip()
        if found := player(src):
            self.replace(frame, _watch(found, title))
        else:
            host = urlsplit(src).hostname or src
            self.replace(frame, _link(src, f"Embedded content: {title or host}"))

    def wrapper(self, div: LexborNode) -> None:
        """A WordPress embed block as saved: a bare page URL in a wrapper div."""
        classes = div.attributes.get("class") or ""
        if "wp-block-embed__wrapper" not in classes or next(div.iter(), None) is not None:
            return
        text = div.text(deep=False)
        url = "" if _MARK_START in text else self.url(text)  # a player made a link already
        if url and div.first_child is not None:
            found = player(url)
            div.first_child.replace_with(self.mark(_watch(found) if found else _link(url, url)))

    def post(self, element: LexborNode) -> None:
        """A social post embed: its text stays, and a link to the post is made sure of."""
        classes = (element.attributes.get("class") or "").split()
        platform = next((_POST_CLASSES[c] for c in classes if c in _POST_CLASSES), None)
        if platform is None:
            return
        address = self.first_url(element, _POST_ADDRESS)
        if not address:
            return
        host = urlsplit(address).hostname
        links = [
            a
            for a in element.css("a")
            if urlsplit(self.url(a.attributes.get("href"))).hostname == host
        ]
        if not links:
            element.insert_child(self.mark(_link(address, f"View the post on {platform}")))

    def script(self, script: LexborNode) -> None:
        """Telegram's post widget is a script alone: it becomes a link to the post."""
        post = script.attributes.get("data-telegram-post") or ""
        if re.fullmatch(r"\w{3,64}/\d{1,12}", post):
            self.replace(script, _link(f"https://t.me/{post}", "View the post on Telegram"))

    def playable(self, element: LexborNode) -> None:
        """<video> and <audio>: kept as media of the item and as a link in the text."""
        kind, attributes = element.tag, element.attributes
        sources = [(attributes.get("src") or attributes.get("data-src"), attributes.get("type"))]
        sources += [
            (s.attributes.get("src"), s.attributes.get("type")) for s in element.css("source")
        ]
        found = [(url, type_) for src, type_ in sources if (url := self.url(src))]
        if not found:
            element.decompose()
            return
        url, stated = found[0]
        title = (attributes.get("title") or attributes.get("aria-label") or "").strip()
        self.media.append(Media(url, media_type(url, stated, kind or ""), title=title))
        poster = self.url(attributes.get("poster")) if kind == "video" else ""
        words = f"{_PLAY} the video" if kind == "video" else f"{_LISTEN} to the audio"
        self.replace(element, _play_link(url, poster, f"{words}: {title}" if title else words))

    def run(self, tree: LexborHTMLParser) -> None:
        # Whole constructs first (their own images inside are theirs to settle).
        _each_outermost(tree, "picture", self.picture)
        _each_outermost(tree, "video, audio", self.playable)
        _each_outermost(tree, "iframe, embed, object", self.frame)
        for element in tree.css("script"):
            self.script(element)
        for element in tree.css("div"):
            self.wrapper(element)
        for element in tree.css("blockquote, div"):
            self.post(element)
        _each_outermost(tree, "noscript", self.noscript)
        for element in tree.css("img"):
            self.image(element)


def _each_outermost(
    tree: LexborHTMLParser, selector: str, handle: Callable[[LexborNode], None]
) -> None:
    """Handle each element the selector finds, in document order, except those inside
    one handled before: that one's handling replaced or removed them with it."""
    inside: set[int] = set()
    for element in tree.css(selector):
        if element.mem_id in inside:
            continue
        if next(element.iter(), None) is not None:  # elements inside: it may hold its kind
            inside.update(node.mem_id for node in element.css(selector))
        handle(element)


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


def _point(img: LexborNode, src: str, srcset: str) -> None:
    """Set an image's addresses; no srcset attribute when it has none."""
    img.attrs["src"] = src
    if srcset:
        img.attrs["srcset"] = srcset
    elif "srcset" in img.attributes:
        del img.attrs["srcset"]


def _previous_element(node: LexborNode) -> LexborNode | None:
    before = node.prev
    while before is not None and not before.is_element_node:
        before = before.prev
    return before


def _quoted(value: str) -> str:
    return html.escape(value, quote=True)


def _link(href: str, words: str, image: str = "") -> str:
    """A paragraph of one link, an image (a poster) before its words when known."""
    return f'<p><a href="{_quoted(href)}">{image}{html.escape(words, quote=False)}</a></p>'


def _play_link(href: str, poster: str, words: str) -> str:
    """A link to the player, its poster image in it when known."""
    return _link(href, words, f'<img src="{_quoted(poster)}" alt="">' if poster else "")


def _watch(found: Player, title: str = "") -> str:
    """ "▶ Watch on YouTube: its title", linking the platform's page, with its poster."""
    words = f"{_PLAY} on {found.platform}" + (f": {title}" if title else "")
    return _play_link(found.page, found.poster, words)


def rewrite(body_html: str, base_url: str) -> tuple[str, list[Media]]:
    """The body with its media made plain, and the audio and video it holds. Parsed as
    a browser with scripting off parses it (lexbor: the HTML standard's algorithm), so
    <embed> is void, <noscript> holds markup, misnested tags nest as they show."""
    if not _TRIGGER.search(body_html):
        return body_html, []
    tree = LexborHTMLParser(body_html.translate(_NO_MARKS), is_fragment=True)
    work = _Rewrite(base_url)
    work.run(tree)
    media: dict[str, Media] = {}
    for found in work.media:
        media.setdefault(found.url, found)
    return work.markup(tree.html or ""), list(media.values())
