"""Property: whatever a store holds, every feed a build publishes passes every check.

Each build here runs the strict check, the feedparser round trip and the second
parsers over every feed, archive page and family member it writes.
"""

import json
import tempfile
from pathlib import Path

from conftest import Site, free_port
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from strategies import hostile

FAMILIES = """
[[feeds]]
name = "main"
archive_size = 2
[[feeds]]
name = "section"
per = "category"
[[feeds]]
name = "by"
per = "author"
content = "summary"
[[feeds]]
name = "tagged"
tag = ["x", "Привет"]
region = "😀"
match = "any"
[[feeds]]
name = "radio"
kind = "podcast"
[feeds.podcast]
image = "https://news.example/radio.jpg"
image_size = 1400
category = "News"
"""

records = st.fixed_dictionaries(
    {"title": hostile, "body_html": hostile},
    optional={
        "categories": st.lists(hostile, max_size=6),
        "tags": st.lists(hostile | st.just("x"), max_size=4),
        "author": hostile,
        "region": hostile,
        "summary": hostile,
    },
)


def new_site(folder: Path) -> Site:
    site = Site(folder / "site", free_port())
    site.articles.mkdir(parents=True)
    site.configure(extra=FAMILIES)
    return site


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=8))
def test_any_store_content_gives_feeds_that_pass_every_check(batch):
    with tempfile.TemporaryDirectory() as folder:
        site = new_site(Path(folder))
        lines = [json.dumps(record) for record in batch]
        site.write("export.ndjson", "\n".join(lines) + "\n")
        report = site.build()  # also: round trip and second parsers over every feed
        assert report.ok, report.failures
        published = [p for p in site.feeds.rglob("*") if p.suffix in (".rss", ".atom", ".json")]
        assert len(published) >= 9  # main, its archive page, latest: three formats each
        index = (site.root / "public" / "index.html").read_bytes()
        etree.fromstring(index, etree.HTMLParser(recover=False))
