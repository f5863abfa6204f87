"""Hypothesis strategies for what a newsroom's store may hold at its worst."""

from hypothesis import strategies as st

PIECES = [
    "]]>",
    "<script>alert(1)</script>",
    "&amp;",
    "&",
    "<",
    "\u202e",
    "שלום",
    "Привет",
    "😀",
    "\x00",
    "\x1b",
    "+++",
    "\n",
]
hostile = st.lists(st.text(max_size=15) | st.sampled_from(PIECES), max_size=12).map("".join)
