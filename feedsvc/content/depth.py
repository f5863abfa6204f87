"""Markup nested deeper than browsers build it, flattened before any parser sees it.

The HTML parsing algorithm scans the stack of open elements at every block start tag
("close a p element in button scope"), so a body of 190,000 unclosed <div>s costs any
conforming parser time in the square of its length (lexbor: 99 s for 4 MB; the
sanitiser's html5ever: minutes). Browsers bound the depth instead: Chromium puts an
element that would stand deeper than 512 beside its parent rather than in it. Here,
one linear pass over the tags does the same: a start tag that would open an element
past MAX_DEPTH is dropped with its end tag; every word stays, in the 512th element.
"""

import re
from collections import Counter

MAX_DEPTH = 512

# A comment, a raw-text element with all its content, an end tag, or a start tag
# (quoted attribute values may hold ">").
_TAG = re.compile(
    r"""<!--.*?(?:-->|\Z)"""
    r"""|<(script|style|textarea|title|xmp|iframe|noembed|noframes)\b.*?(?:</\1\s*>|\Z)"""
    r"""|</([a-zA-Z][^\s/>]*)[^>]*>"""
    r"""|<([a-zA-Z][^\s/>]*)(?:[^>"']|"[^"]*"|'[^']*')*>""",
    re.DOTALL | re.IGNORECASE,
)
_VOID = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen",
})  # fmt: skip
# Elements a start tag of the same name closes (an open <p> by a new <p>, <li> by <li>).
_CLOSED_BY_SIBLING = frozenset({"p", "li", "dt", "dd", "option", "tr", "td", "th"})


def flattened(body_html: str) -> str:
    """The body with elements past MAX_DEPTH unwrapped; as it is when none can be."""
    if body_html.count("<") <= MAX_DEPTH:
        return body_html
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    dropped: Counter[str] = Counter()  # start tags left out, by name: their end tags go too
    parts: list[str] = []
    position = 0

    def leave_out(tag: re.Match[str]) -> None:
        nonlocal position
        parts.append(body_html[position : tag.start()])
        position = tag.end()

    def pop_to(name: str) -> None:
        while stack:
            top = stack.pop()
            open_count[top] -= 1
            if top == name:
                return

    for found in _TAG.finditer(body_html):
        closing, opening = found.group(2), found.group(3)
        if closing:
            name = closing.lower()
            if open_count[name]:
                pop_to(name)
            elif dropped[name]:
                dropped[name] -= 1
                leave_out(found)
        elif opening:
            name = opening.lower()
            if name in _VOID or (found.group(0).endswith("/>") and _in_foreign(open_count)):
                continue
            if name in _CLOSED_BY_SIBLING and open_count[name]:
                pop_to(name)
            if len(stack) >= MAX_DEPTH:
                dropped[name] += 1
                leave_out(found)
                continue
            stack.append(name)
            open_count[name] += 1
    if not parts:
        return body_html
    parts.append(body_html[position:])
    return "".join(parts)


def _in_foreign(open_count: Counter[str]) -> bool:
    """Inside <svg> or <math>, where "/>" closes an element as in XML."""
    return bool(open_count["svg"] or open_count["math"])
