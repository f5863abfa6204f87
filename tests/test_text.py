"""Headline matching, slugs and XML-safe text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.core.text import SLUG_MAX, article_link, clean_text, headline_key, shareable, slugify


def test_headlines_match_ignoring_case_quotes_and_spacing():
    assert headline_key("Council Agrees “Lean”  Budget") == headline_key(
        "council agrees 'lean' budget"
    )
    assert headline_key("China’s Deal") == headline_key("China's deal")
    assert headline_key("«Заречный» открыт") == headline_key('"ЗАРЕЧНЫЙ" открыт')
    assert headline_key("Bridge Closes") != headline_key("Bridge Opens")


def test_slugs_keep_cyrillic_and_drop_punctuation():
    assert slugify("Qarmet and China’s Deal: Signed!") == "qarmet-and-chinas-deal-signed"
    assert slugify("В Северогорске открыли линию") == "в-северогорске-открыли-линию"
    assert slugify("!!!") == "item"
    assert (
        article_link("https://example.org/{slug}/", "мост")
        == "https://example.org/%D0%BC%D0%BE%D1%81%D1%82/"
    )


@given(st.text())
def test_slugs_are_short_url_safe_words(text: str):
    slug = slugify(text)
    assert slug and len(slug) <= SLUG_MAX
    assert slug == slug.strip("-") and "--" not in slug
    assert all(ch.isalnum() or ch == "-" for ch in slug)


@given(st.text())
def test_clean_text_leaves_only_characters_xml_accepts(text: str):
    cleaned = clean_text(text)
    assert "\r" not in cleaned
    for ch in cleaned:
        code = ord(ch)
        assert (
            ch in "\t\n"
            or 0x20 <= code <= 0x7E
            or 0xA0 <= code <= 0xD7FF
            or 0xE000 <= code <= 0xFFFD
            or code >= 0x10000
        )


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("put failed for http://feedsvc:s3cret@dav.example.org/x", "http://***@dav.example.org/x"),
        ("http://u:p@ss@host/dav/", "http://***@host/dav/"),  # an @ left unescaped
        ("postgresql+psycopg://feed:pw@127.0.0.1:5432/db", "postgresql+psycopg://***@127.0.0.1"),
        ("[Errno 28] No space left on device: '/srv/news/public/feeds/main.rss'", "'…/main.rss'"),
    ],
)
def test_shareable_text_keeps_no_secret_and_no_absolute_path(said: str, shown: str):
    assert shown in shareable(said)
    assert "s3cret" not in shareable(said) and "/srv/news" not in shareable(said)


def test_shareable_text_keeps_what_is_not_a_secret():
    for kept in ("feeds/main.rss: not published", "see https://example.org/a/b@c", "mailto:x@y"):
        assert shareable(kept) == kept
