"""Every word a browser would show of an article's HTML reaches the published item,
whatever the markup: checked against an independent HTML5 parse (tests/words.py)."""

import json
from pathlib import Path

import pytest
from conftest import Site
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from test_fuzz import _examples
from words import missing_words

from feedsvc.content.markup import sanitize

BASE = "https://news.example.org/2026/12/story/"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"

WORD = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"], exclude_characters="<>&"),
    min_size=1,
    max_size=12,
) | st.sampled_from(["Совет", "депутатов", "принял", "бюджет", "flood", "bridge", "&amp;", "&lt;"])

# The pieces CMSs write (as WordPress/Gutenberg, Ghost, lazysizes and embed codes save
# them, written here), each with a hole for words.
OPEN_CLOSE = [
    ("<p>", "</p>"), ("<p>", ""), ("<b>", "</b>"), ("<i>", "</i>"), ("<b><i>", "</b></i>"),
    ("<div>", "</div>"), ("<div>", ""), ("<span>", "</span>"), ("<li>", ""),
    ("<ul><li>", "</ul>"), ("<ol><li>", "</li><li>"), ("<table><tr><td>", "</table>"),
    ("<table>", "</table>"), ("<td>", ""), ("<h2>", "</h2>"), ("<blockquote>", "</blockquote>"),
    ("<figure><figcaption>", "</figcaption></figure>"), ("<a href='/x'>", "</a>"),
    ("<a href='/x'><p>", "</p></a>"), ("<sup><a href='#fn1'>", "</a></sup>"),
    ('<ol class="footnotes"><li id="fn1">', "</ol>"), ("<!-- wp:paragraph --><p>", "</p>"),
    ('<div class="kg-card kg-callout-card"><div class="kg-callout-text">', "</div></div>"),
    ('<blockquote class="twitter-tweet"><p lang="ru">', "</p></blockquote>"),
    ('<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/Cx1/">', "</blockquote>"),
    ("<figure class='wp-block-embed'><div class='wp-block-embed__wrapper'>", "</div></figure>"),
    ("<form><label>", "</label></form>"), ("<button>", "</button>"), ("<pre>", "</pre>"),
    ("<details><summary>", "</summary></details>"), ("<center>", "</center>"),
    ("<font color=red>", "</font>"), ("<dl><dt>", "<dd>"), ("<q cite='/s'>", "</q>"),
    ("<object data='https://e.org/c.swf'><param name=movie value='https://www.youtube.com/v/abcdEFGH'>", "</object>"),
]  # fmt: skip
VOID = [
    '<img src="/i/a.jpg" alt="a">', "<img>", '<img src="data:image/gif;base64,R0lGOD">',
    '<img data-src="/i/b.jpg" class="lazyload"><noscript><img src="/i/b.jpg"></noscript>',
    '<embed src="https://example.org/r.pdf">', "<br>", "<hr>", "<wbr>",
    '<iframe src="https://www.youtube.com/embed/abcdEFGH" title="Briefing"></iframe>',
    '<iframe src="https://player.vimeo.com/video/12345"></iframe>',
    '<script async src="https://telegram.org/js/telegram-widget.js" data-telegram-post="newsroom/123"></script>',
    '<script src="https://platform.twitter.com/widgets.js"></script>',
    '<picture><source type="image/webp" srcset="data:image/gif;base64,R0lG,x" data-srcset="/i/c.webp 1x"><img src="/i/c.jpg"></picture>',
    '<video src="/v/a.mp4" poster="/v/a.jpg"></video>', '<audio src="/a/a.mp3"></audio>',
    '<audio controls><source src="/a/b.m4a" type="audio/mp4"></audio>',
    "<style>p{}</style>", "<!-- a comment -->", "</p>", "</div>", "</b>", "</li>", "</td>",
]  # fmt: skip


@st.composite
def cms_markup(draw, depth: int = 0) -> str:
    """A body of text, void pieces and wrapped pieces, nested a few levels."""
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["word", "word", "void", "wrap"]))
        if kind == "word":
            parts.append(draw(WORD) + " ")
        elif kind == "void":
            parts.append(draw(st.sampled_from(VOID)))
        else:
            start, end = draw(st.sampled_from(OPEN_CLOSE))
            inner = draw(cms_markup(depth + 1)) if depth < 3 else draw(WORD)
            parts.append(start + inner + end)
    return "".join(parts)


@settings(max_examples=_examples(400), deadline=None)
@given(cms_markup())
def test_every_shown_word_of_any_cms_markup_is_published(markup: str):
    published, _media = sanitize(markup, BASE)
    assert missing_words(markup, published) == []


@pytest.mark.parametrize(
    "markup",
    [
        # lxml took what follows an <embed> for its content, and lost it
        '<p>Intro.</p><embed src="https://example.org/r.pdf"><p>Second.</p>',
        "<p>See the chart <embed src=https://e.org/c.svg> which shows growth</p>",
        # misnested formatting: the adoption agency keeps both words
        "<p>one <b>two <i>three</b> four</i> five</p>",
        # text in a table outside any cell is shown before the table (foster parenting)
        "<table>fostered<tr><td>cell</td></tr></table>",
        # a CMS that never closes its divs: 2,000 deep, every word kept
        "<div><span>слово</span>" * 2000,
    ],
)
def test_words_of_markup_browsers_repair_are_published(markup: str):
    published, _media = sanitize(markup, BASE)
    assert missing_words(markup, published) == []


CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.html"))


def published_bodies(site: Site) -> dict[str, str]:
    """Each format's published body of the one article, read from the feed files."""
    atom = etree.parse(site.feeds / "main.atom").find(f"{{{ATOM}}}entry/{{{ATOM}}}content")
    rss = etree.parse(site.feeds / "main.rss").find(f"channel/item/{{{CONTENT}}}encoded")
    jsonfeed = json.loads((site.feeds / "main.json").read_text())["items"][0]
    return {"atom": atom.text, "rss": rss.text, "json": jsonfeed["content_html"]}


@pytest.mark.parametrize("document", CORPUS, ids=lambda path: path.stem)
def test_every_shown_word_of_the_corpus_is_in_every_published_format(site: Site, document):
    """Articles written for this test in the shapes CMSs save (WordPress blocks, Ghost
    cards, lazysizes, a 2000s CMS that closes nothing), published by a real build."""
    body = document.read_text()
    site.write(f"{document.stem}.json", json.dumps({"title": document.stem, "body_html": body}))
    report = site.build()
    assert report.ok, report.problems
    for name, published in published_bodies(site).items():
        assert missing_words(body, published) == [], name
