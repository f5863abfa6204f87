"""Article file formats: the text of one file in, its articles and problems out.

A single-article format raises RecordError for a bad file; a
multi-record format (JSON list, NDJSON) reports each bad record on its own
line and keeps the others.
"""

import html
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from feedsvc.content import commonmark
from feedsvc.core.model import Problem, SourceArticle
from feedsvc.store import RecordError, record, textpage
from feedsvc.store.record import SiteContext

# Python's JSON and TOML parsers recurse once a level: past about a thousand levels
# they raise RecursionError, which must be a refusal of the file, not a failed scan.
TOO_DEEP = "nested too deep to read"
_TOML_LINE = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)")
_FIELD_NAME = re.compile(r"^([\w.]+):")
MAX_DIGITS = 30  # an integer field never needs more (a length in bytes takes 13)
LONG_DIGITS = re.compile(rf"\d{{{MAX_DIGITS + 1}}}")
NUMBER_TOO_LONG = "a number too long to read (over 4,300 digits)"


@dataclass(frozen=True)
class FileInfo:
    store: str
    key: str  # path relative to the store root, with / separators
    origin: str  # the path shown to people
    site: SiteContext


@dataclass
class Parsed:
    articles: list[SourceArticle] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _build(info: FileInfo, fields: dict[str, Any], key: str, **kwargs: Any) -> SourceArticle:
    return record.build(
        fields, store=info.store, key=key, origin=info.origin, site=info.site, **kwargs
    )


def parse_text(text: str, info: FileInfo) -> Parsed:
    page = textpage.parse(text)
    body = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in page.paragraphs)
    fields = {"title": page.headline, "author": page.author}
    try:
        article = _build(info, fields, info.key, body_html=body)
    except RecordError as exc:  # only a headline can be wrong here, and it is on line 1
        raise RecordError(exc.reason, 1) from None
    return Parsed([replace(article, latest=page.latest)])


def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, line the body starts on) of a `+++`-fenced file."""
    lines = text.split("\n")
    if lines[0].strip() != "+++":
        raise RecordError("no front matter: the file must start with a +++ line", 1)
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "+++":
            return "\n".join(lines[1 : number - 1]), "\n".join(lines[number:]), number + 1
    raise RecordError("front matter is never closed: no second +++ line", 1)


def _field_line(reason: str, front: str) -> int | None:
    """The front matter line that sets the field an error names (line 1 is the +++)."""
    if match := _FIELD_NAME.match(reason):
        name = match.group(1).split(".")[0]
        for number, line in enumerate(front.split("\n"), start=2):
            if re.match(rf"\s*\[?\s*{re.escape(name)}\s*[=\]]", line):
                return number
    return None


def _toml_error(exc: tomllib.TOMLDecodeError, front: str) -> RecordError:
    message = str(exc)
    match = _TOML_LINE.search(message)
    # A line number counts from the first front matter line; "end of document" is the +++.
    line = int(match.group(1)) + 1 if match and match.group(1) else front.count("\n") + 3
    return RecordError(f"front matter is not valid TOML: {_TOML_LINE.sub('', message)}", line)


class NumberTooLong:
    """A JSON integer too long for any field, kept as its digits: neither a number nor
    a string, so every field refuses it by name (as text it passed as a title)."""

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"a number of {len(self.digits.lstrip('-')):,} digits"


def bounded_int(digits: str) -> int | NumberTooLong:
    """A JSON integer, converted only when it is short (Python refuses to convert over
    4,300 digits, and no field takes over MAX_DIGITS)."""
    return int(digits) if len(digits) <= MAX_DIGITS else NumberTooLong(digits)


def parse_front_matter(text: str, info: FileInfo, *, markdown: bool) -> Parsed:
    front, body, _ = split_front_matter(text)
    try:
        fields = tomllib.loads(front)
    except RecursionError:
        raise RecordError(f"front matter is {TOO_DEEP}", 2) from None
    except ValueError as exc:  # not a TOMLDecodeError: an integer too long to convert
        if isinstance(exc, tomllib.TOMLDecodeError):
            raise _toml_error(exc, front) from None
        lines = enumerate(front.split("\n"), start=2)
        line = next((number for number, said in lines if LONG_DIGITS.search(said)), 2)
        raise RecordError(f"front matter: {NUMBER_TOO_LONG}", line) from None
    body_html = commonmark.to_html(body) if markdown else body
    try:
        return Parsed([_build(info, fields, info.key, body_html=body_html)])
    except RecordError as exc:
        raise RecordError(exc.reason, _field_line(exc.reason, front) or 1) from None


def _records(items: Iterator[tuple[int, Any]], info: FileInfo, single: bool) -> Parsed:
    parsed = Parsed()
    for number, (line, fields) in enumerate(items, start=1):
        try:
            if not isinstance(fields, dict):
                raise RecordError(f"a record must be an object, got {type(fields).__name__}")
            key = info.key if single else f"{info.key}#{number}"
            parsed.articles.append(_build(info, fields, key, allow_body_fields=True))
        except RecordError as exc:
            parsed.problems.append(Problem(info.origin, exc.reason, line))
    return parsed


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _json_values(text: str) -> tuple[bool, Iterator[tuple[int, Any]]]:
    """(a single object?, each top-level record with the line it starts on)."""
    decoder = json.JSONDecoder(parse_int=bounded_int)
    whitespace = re.compile(r"\s*")
    start = whitespace.match(text).end()  # type: ignore[union-attr]
    try:
        if not text.startswith("[", start):
            value, end = decoder.raw_decode(text, start)
            if whitespace.match(text, end).end() != len(text):  # type: ignore[union-attr]
                raise RecordError("extra data after the JSON value", _line_at(text, end))
            return True, iter([(_line_at(text, start), value)])
        found: list[tuple[int, Any]] = []
        position = whitespace.match(text, start + 1).end()  # type: ignore[union-attr]
        while not text.startswith("]", position):
            value, end = decoder.raw_decode(text, position)
            found.append((_line_at(text, position), value))
            position = whitespace.match(text, end).end()  # type: ignore[union-attr]
            if text.startswith(",", position):
                position = whitespace.match(text, position + 1).end()  # type: ignore[union-attr]
            elif not text.startswith("]", position):
                raise RecordError("expected , or ] between records", _line_at(text, position))
        return False, iter(found)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise RecordError(f"JSON {TOO_DEEP}", 1) from None


def parse_json(text: str, info: FileInfo) -> Parsed:
    single, values = _json_values(text)
    parsed = _records(values, info, single)
    if single and parsed.problems:  # one record that failed: the file failed
        raise RecordError(parsed.problems[0].reason, parsed.problems[0].line)
    return parsed


def parse_ndjson(text: str, info: FileInfo) -> Parsed:
    values: list[tuple[int, Any]] = []
    bad: list[Problem] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                values.append((number, json.loads(line, parse_int=bounded_int)))
            except json.JSONDecodeError as exc:
                bad.append(Problem(info.origin, f"not valid JSON: {exc.msg}", number))
            except RecursionError:
                bad.append(Problem(info.origin, f"JSON {TOO_DEEP}", number))
    parsed = _records(iter(values), info, single=False)
    parsed.problems[:0] = bad
    parsed.problems.sort(key=lambda p: p.line or 0)
    return parsed


Parser = Callable[[str, FileInfo], Parsed]

FORMATS: dict[str, Parser] = {
    "text": parse_text,
    "markdown": lambda text, info: parse_front_matter(text, info, markdown=True),
    "html": lambda text, info: parse_front_matter(text, info, markdown=False),
    "json": parse_json,
    "ndjson": parse_ndjson,
}

SUFFIXES = {
    "": "text",
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
