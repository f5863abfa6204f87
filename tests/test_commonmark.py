"""Markdown becomes the HTML cmark-gfm makes of it, and reading a store of it keeps no
memory: cmarkgfm's own wrapper kept each document and its HTML (23 KB an article)."""

import subprocess
import sys

from cmarkgfm.cmark import Options, markdown_to_html_with_extensions
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.content import commonmark

STORY = """# Паром снова ходит по расписанию

Городской **паром** вернулся на линию после ремонта причала; первый рейс ушёл в 6:40.

| Рейс | Отправление | Прибытие |
|---|---|---|
| 1 | 06:40 | 07:05 |
| 2 | 07:30 | 07:55 |

<aside>Raw HTML stays for the sanitiser to judge.</aside>

- The harbour office answers on weekdays.
- [Timetable](https://news.example.org/ferry/timetable)
"""

MARKDOWN = st.lists(
    st.sampled_from(["# ", "*", "**", "|", "---", "\n", "\n\n", "- ", "> ", "`", "<b>", "[a](b)"])
    | st.text(max_size=20),
    max_size=30,
).map("".join)


def reference(text: str) -> str:
    return markdown_to_html_with_extensions(
        text, options=Options.CMARK_OPT_UNSAFE, extensions=[commonmark.TABLES]
    )


def test_a_story_becomes_the_html_cmark_makes():
    made = commonmark.to_html(STORY)
    assert made == reference(STORY)
    assert "<table>" in made and "<td>06:40</td>" in made and "<aside>" in made
    assert "<strong>паром</strong>" in made


@settings(max_examples=300, deadline=None)
@given(MARKDOWN)
def test_any_text_becomes_the_html_cmark_makes(text: str):
    assert commonmark.to_html(text) == reference(text)


GROWTH = """
import sys
from feedsvc.content import commonmark
def resident():
    return int(open("/proc/self/statm").read().split()[1]) * 4096
story = sys.argv[1] * 12  # about 6 KB
for _ in range(200):
    commonmark.to_html(story)
before = resident()
for _ in range(3000):
    commonmark.to_html(story)
print(resident() - before)
"""


def test_reading_thousands_of_stories_keeps_no_memory():
    """3,000 stories of 6 KB: cmarkgfm's own wrapper kept about 100 MB of them."""
    grown = subprocess.run(
        [sys.executable, "-c", GROWTH, STORY], capture_output=True, text=True, check=True
    ).stdout
    assert int(grown) < 8 * 1024 * 1024, f"grew {int(grown) / 2**20:.1f} MB"
