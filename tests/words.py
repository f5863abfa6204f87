"""The words a browser shows, read by an independent HTML5 parser (html5lib, pure
Python, not the lexbor or html5ever the publisher uses), and a check that they all
reached the published HTML, in order."""

import unicodedata
import xml.etree.ElementTree as ET

import html5lib

# What the sanitiser's rules remove with everything inside (players, audio and video
# become links of its own words), and what a browser never renders in a body.
REMOVED = frozenset({
    "script", "style", "iframe", "object", "embed", "template", "noscript", "video",
    "audio", "title", "noembed", "noframes",
})  # fmt: skip


def _parse(markup: str) -> ET.Element:
    return html5lib.parseFragment(
        markup, container="div", treebuilder="etree", namespaceHTMLElements=False
    )


def _texts(root: ET.Element, skip: frozenset[str]) -> list[str]:
    """Text and tails in document order, without recursion (bodies nest thousands deep)."""
    found: list[str] = []
    stack: list[ET.Element | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
            continue
        tag = item.tag if isinstance(item.tag, str) else ""  # comments have a function
        if tag.lower() in skip:
            continue
        if item.text and tag:
            found.append(item.text)
        for child in reversed(item):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)
    return found


def shown_texts(markup: str) -> list[str]:
    """Each word of the text a browser (scripting off) renders, in document order (a
    word split by markup is two: "wo<b>rd</b>"). Words, not whole text nodes: a
    parser may join two text nodes that a removed element stood between."""
    found = _texts(_parse(markup), REMOVED)
    return [word for text in found for word in map(squeezed, text.split()) if word]


def squeezed(text: str) -> str:
    """Text without its white space and controls, NFC: spacing is layout, and a
    control character (which XML cannot carry) is not a word."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if not c.isspace() and unicodedata.category(c)[0] != "C")


def missing_words(given: str, published: str) -> list[str]:
    """The given body's shown words not found in the published text, each found word
    used up once. Sought in order first, then anywhere: parsers disagree on where text
    stray in nested tables goes (html5lib's tree builders misplace it), and the rule is
    that no word is lost, wherever a browser puts it."""
    shown = squeezed("".join(shown_texts(published)))
    missing, position = [], 0
    for word in shown_texts(given):
        found = shown.find(word, position)
        if found < 0:
            found = shown.find(word)
        if found < 0:
            missing.append(word)
            continue
        shown = shown[:found] + "\0" + shown[found + len(word) :]  # used up
        position = found + 1
    return missing
