"""The plain-text article page format, read exactly as DESIGN.md describes it."""

import pytest
from conftest import CORPUS, page
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.store import RecordError
from feedsvc.store.textpage import decode, parse

PAGE = CORPUS / "river-port-page.txt"


def test_a_whole_page_in_the_stores_format_comes_out_right():
    """A page laid out as the newsroom's store writes them (our own words): headline, a
    blank line, paragraphs (one of them wrapped over two lines), the author, the
    latest-news list."""
    result = parse(decode(PAGE.read_bytes()))
    assert result.headline.startswith("River Port at Semey Reopens")
    assert len(result.paragraphs) == 5
    joined = [p for p in result.paragraphs if "loaded barges, and the harbour master" in p]
    assert len(joined) == 1, "the paragraph spanning two lines is joined with a space"
    assert result.author == "Timur Sadykov"
    assert len(result.latest) == 20
    assert result.latest[0] == "Tram Line Reaches the New Hospital Three Months Early"
    assert not any(h.startswith("- ") for h in result.latest)


def test_a_line_that_does_not_end_a_sentence_continues():
    text = page(
        "Storm Floods Lower Town",
        "Water rose two metres overnight,",
        "the river authority said.",
        "Schools are closed on Friday.",
        "The mayor said: «Всё под контролем».",
        "Another line without an end",
    )
    result = parse(text)
    assert result.paragraphs == (
        "Water rose two metres overnight, the river authority said.",
        "Schools are closed on Friday.",
        "The mayor said: «Всё под контролем».",
        "Another line without an end",
    )
    assert result.author is None
    assert result.latest == ()


def test_blank_lines_end_paragraphs_and_sentence_ends_include_quotes():
    text = "Headline\n\nFirst line, no end\n\nHe said “yes!”\nWhat now?\nEllipsis…\n"
    assert parse(text).paragraphs == (
        "First line, no end",
        "He said “yes!”",
        "What now?",
        "Ellipsis…",
    )


def test_author_and_latest_news_are_not_body_text():
    text = page(
        "Новости дня",
        "Первый абзац.",
        author="Мария Лебедева",
        latest=["Первый заголовок", "Second headline"],
    )
    result = parse(text)
    assert result.paragraphs == ("Первый абзац.",)
    assert result.author == "Мария Лебедева"
    assert result.latest == ("Первый заголовок", "Second headline")


def test_crlf_bom_and_forbidden_characters_are_cleaned():
    raw = "\ufeffHeadline\x07 here\r\n\r\nBody\x00 text.\r\n".encode()
    with pytest.raises(RecordError, match="binary"):
        decode(raw)
    text = decode(raw.replace(b"\x00", b""))
    result = parse(text)
    assert result.headline == "Headline here"
    assert result.paragraphs == ("Body text.",)


@pytest.mark.parametrize(
    ("data", "reason", "line"),
    [
        (b"", "empty file", None),
        (b"  \n\n \n", "empty file", None),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary", None),
        (b"Headline\n\nCaf\xe9 opens.\n", "not UTF-8", 3),
        (b"\nBody text.\n", "no headline", 1),
        (b"Latest news\n- one\n", "no headline", 1),
        (b"Headline\nBody right after.\n", "line 2 must be blank", 2),
        (b"Headline\n\nOriginal Author: Someone\n", "no body text", 3),
    ],
)
def test_files_that_are_not_articles_say_why(data: bytes, reason: str, line: int | None):
    with pytest.raises(RecordError) as caught:
        parse(decode(data))
    assert reason in caught.value.reason
    assert caught.value.line == line


@given(st.binary(max_size=400))
def test_any_bytes_give_a_page_or_a_page_error(data: bytes):
    try:
        result = parse(decode(data))
    except RecordError as exc:
        assert exc.reason
    else:
        assert result.headline and result.paragraphs


@given(st.text(max_size=400))
def test_any_text_gives_a_page_or_a_page_error(text: str):
    try:
        result = parse(text)
    except RecordError as exc:
        assert exc.reason
    else:
        assert result.headline == result.headline.strip()
        assert all(p and p == p.strip() for p in result.paragraphs)
