"""The plain-text article page: headline, blank line, paragraphs, author, latest news.

A body line that does not end a sentence continues on the next line, so a
paragraph may span several lines; a blank line always ends one.
"""

import re
from dataclasses import dataclass

from feedsvc.core.text import clean_text, collapse_spaces
from feedsvc.store import RecordError

_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019\u00bb)\]]*$")
_AUTHOR = re.compile(r"original author\s*:\s*(.*)$", re.IGNORECASE)
_LATEST = re.compile(r"latest news\s*:?$", re.IGNORECASE)
_BULLET = re.compile(r"^[-\u2013\u2014\u2022*]\s+")


@dataclass(frozen=True)
class TextPage:
    headline: str
    paragraphs: tuple[str, ...]
    author: str | None
    latest: tuple[str, ...]


def decode(data: bytes) -> str:
    """UTF-8 text of an article file, or a RecordError saying why it is not text."""
    if not data.strip():
        raise RecordError("empty file")
    if b"\x00" in data:
        raise RecordError("binary file, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}", line
        ) from None


def headline_lines(lines: list[str]) -> tuple[str, ...]:
    """Headlines from a latest-news list, one a line, an optional `- ` bullet each."""
    found = (collapse_spaces(_BULLET.sub("", line.strip())) for line in lines)
    return tuple(headline for headline in found if headline)


def _is_marker(line: str) -> bool:
    return bool(_LATEST.fullmatch(line) or _AUTHOR.match(line))


def parse(text: str) -> TextPage:
    lines = clean_text(text).split("\n")
    if not any(line.strip() for line in lines):
        raise RecordError("empty file")
    headline = collapse_spaces(lines[0])
    if not headline:
        raise RecordError("no headline: line 1 is blank", 1)
    if _is_marker(headline) or _BULLET.match(lines[0]):
        raise RecordError(f"no headline: line 1 is {headline!r}", 1)
    if len(lines) > 1 and lines[1].strip():
        raise RecordError("line 2 must be blank: line 1 is the headline, the body follows", 2)

    paragraphs: list[str] = []
    current: list[str] = []
    author: str | None = None

    def end_paragraph() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for number, raw in enumerate(lines[2:], start=3):
        line = collapse_spaces(raw)
        if _LATEST.fullmatch(line):
            end_paragraph()
            latest = headline_lines(lines[number:])
            break
        if match := _AUTHOR.match(line):
            end_paragraph()
            author = match.group(1).strip() or None
        elif not line:
            end_paragraph()
        else:
            current.append(line)
            if _SENTENCE_END.search(line):
                end_paragraph()
    else:
        latest = ()
    end_paragraph()
    if not paragraphs:
        raise RecordError("no body text after the headline", 3)
    return TextPage(headline, tuple(paragraphs), author, latest)
