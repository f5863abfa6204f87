"""The feed store against real HTTP servers on 127.0.0.1: another feedsvc, and a scripted one."""

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import feedparser
import pytest
from conftest import Site, free_port, page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_feeds import feed_is_valid
from test_formats import SITE

from feedsvc.store import RecordError, feed
from feedsvc.store.feed import entry_fields
from feedsvc.store.record import build

OLD_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Old CMS</title><link>https://old.example.org/</link><description>d</description>
<item><title>Budget &amp; Taxes</title><link>/2024/budget</link>
<guid isPermaLink="false">cms-item-991</guid><pubDate>Tue, 05 Mar 2024 08:00:00 +0300</pubDate>
<dc:creator>Lena Marsh</dc:creator><category>Politics</category>
<description>&lt;p&gt;The council &lt;b&gt;voted&lt;/b&gt;.&lt;/p&gt;</description>
<enclosure url="https://old.example.org/img/budget.jpg" type="image/jpeg" length="1234"/></item>
<item><title>No id at all</title><description>x</description></item>
</channel></rss>"""


class Scripted(BaseHTTPRequestHandler):
    """Answers from `routes`: path -> (status, headers, body)."""

    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("If-None-Match")))
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        if (
            status == 200
            and headers.get("ETag")
            and self.headers.get("If-None-Match") == headers["ETag"]
        ):
            status, body = 304, b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[tuple[str, type[Scripted]]]:
    handler = type("Handler", (Scripted,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def feed_store(site: Site, url: str, max_failures: int = 2) -> None:
    site.configure(
        extra=f'[store]\nkind = "feed"\nname = "old-cms"\nurl = "{url}"\ntimeout = 2\nmax_failures = {max_failures}\n'
    )


def entries(site: Site) -> list:
    return feedparser.parse((site.feeds / "main.rss").read_bytes()).entries


def serve_old_feed(handler: type[Scripted]) -> None:
    handler.routes["/rss"] = (
        200,
        {"Content-Type": "application/rss+xml", "ETag": '"v1"'},
        OLD_FEED,
    )


def test_items_keep_their_guids_dates_and_authors(site: Site, origin):
    base, handler = origin
    serve_old_feed(handler)
    feed_store(site, base + "/rss")
    report = site.build()
    assert [str(p) for p in report.problems] == [
        f"{base}/rss item 2: item has neither an id/guid nor a link"
    ]
    (item,) = entries(site)
    assert item.id == "cms-item-991"
    assert item.title == "Budget & Taxes"
    assert item.published == "Tue, 05 Mar 2024 05:00:00 +0000"
    assert item.link == f"{base}/2024/budget"  # relative links resolve against the feed's URL
    assert item.author == "Lena Marsh"
    assert "<b>voted</b>" in item.content[0].value
    # Wire copy keeps its origin in every format.
    assert item.source == {"href": f"{base}/rss", "title": "Old CMS"}
    atom = feedparser.parse((site.feeds / "main.atom").read_bytes()).entries[0]
    assert (atom.source.title, atom.source.id) == ("Old CMS", f"{base}/rss")
    (own,) = json.loads((site.feeds / "main.json").read_bytes())["items"]
    assert own["_source"]["title"] == "Old CMS" and own["_source"]["feed_url"] == f"{base}/rss"


def test_polls_are_conditional_and_nothing_is_rewritten(site: Site, origin):
    base, handler = origin
    serve_old_feed(handler)
    feed_store(site, base + "/rss")
    site.build()
    assert site.build().written == []
    assert handler.seen == [("/rss", None), ("/rss", '"v1"')]


def test_an_item_the_source_drops_is_kept(site: Site, origin):
    base, handler = origin
    handler.routes["/rss"] = (200, {"Content-Type": "application/rss+xml"}, OLD_FEED)
    feed_store(site, base + "/rss")
    site.build()
    handler.routes["/rss"] = (
        200,
        {},
        OLD_FEED.replace(b"cms-item-991", b"cms-item-992").replace(b"Budget", b"Later"),
    )
    site.build()
    assert sorted(e.id for e in entries(site)) == ["cms-item-991", "cms-item-992"]


def test_redirects_are_followed_and_a_permanent_one_is_reported(site: Site, origin):
    base, handler = origin
    handler.routes["/old"] = (301, {"Location": "/rss"}, b"")
    handler.routes["/rss"] = (200, {}, OLD_FEED)
    feed_store(site, base + "/old")
    report = site.build()
    assert f"{base}/old: warning: moved permanently to {base}/rss; update the store's url" in map(
        str, report.problems
    )
    assert [e.id for e in entries(site)] == ["cms-item-991"]


def test_gone_and_failing_feeds_are_reported_not_fatal(site: Site, origin):
    base, handler = origin
    handler.routes["/rss"] = (200, {}, OLD_FEED)
    feed_store(site, base + "/rss", max_failures=2)
    site.build()
    handler.routes["/rss"] = (503, {}, b"busy")
    first = site.build()
    assert first.ok
    assert [str(p) for p in first.problems if "failed fetches" in p.reason] == [
        f"{base}/rss: warning: HTTP 503 Service Unavailable (1 failed fetches in a row)"
    ]
    second = site.build()
    assert [str(p) for p in second.problems if "failed fetches" in p.reason] == [
        f"{base}/rss: HTTP 503 Service Unavailable (2 failed fetches in a row)"
    ]
    handler.routes["/rss"] = (410, {}, b"")
    gone = site.build()
    assert f"{base}/rss: the feed is gone (410 Gone); its items stay as they were" in map(
        str, gone.problems
    )
    assert [e.id for e in entries(site)] == ["cms-item-991"]


def test_a_server_that_is_down_is_a_warning_then_an_error(site: Site):
    feed_store(site, f"http://127.0.0.1:{free_port()}/rss", max_failures=2)
    first, second = site.build(), site.build()
    assert first.problems[0].warning and "cannot fetch: ConnectError" in first.problems[0].reason
    assert not second.problems[0].warning


def test_moving_from_one_feedsvc_to_another_keeps_every_guid(site: Site, start_server, tmp_path):
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.write("b.txt", page("Мост закрыт", "Ремонт."))
    site.build()
    start_server("serve")
    original = {e.id: e.published for e in entries(site)}
    moved = Site(tmp_path / "new-site", free_port())
    moved.articles.mkdir(parents=True)
    feed_store(moved, site.url + "feeds/main.atom")
    assert moved.build().problems == []
    assert {e.id: e.published for e in entries(moved)} == original


hostile = st.lists(
    st.text(max_size=12)
    | st.sampled_from(["]]>", "<script>x</script>", "&amp;", "\x00", "\u202e", "😀"]),
    max_size=8,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {"id": hostile, "title": hostile, "summary": hostile, "link": hostile},
        optional={
            "tags": st.lists(st.fixed_dictionaries({"term": hostile}), max_size=5),
            "authors": st.lists(st.fixed_dictionaries({"name": hostile}), max_size=3),
        },
    )
)
def test_any_feed_entry_gives_an_article_or_a_clear_error(entry):
    try:
        fields, body = entry_fields(entry)
        article = build(fields, store="old", key="k", origin="o", site=SITE, body_html=body)
    except RecordError as exc:
        assert exc.reason
        return
    feed_is_valid(article)


def test_a_source_feed_over_the_limit_is_not_read_past_it(site: Site, origin, monkeypatch):
    """A source that sends without end is cut off at feed.MAX_BYTES (here 64 KB): the
    fetch fails with a reason, the items already in stay."""
    base, handler = origin
    serve_old_feed(handler)
    feed_store(site, base + "/rss")
    assert site.build().ok
    monkeypatch.setattr(feed, "MAX_BYTES", 64 * 1024)
    handler.routes["/rss"] = (
        200,
        {},
        OLD_FEED.replace(b"</channel>", b" " * 200_000 + b"</channel>"),
    )
    report = site.build()
    assert [str(p) for p in report.problems if "failed fetches" in p.reason] == [
        f"{base}/rss: warning: the feed is over 65,536 bytes; not read (1 failed fetches in a row)"
    ]
    assert [e.id for e in entries(site)] == ["cms-item-991"]


def test_a_podcast_episodes_audio_and_duration_come_through():
    parsed = feedparser.parse(
        b"""<?xml version="1.0"?><rss version="2.0"
        xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>t</title>
        <item><title>Episode 4</title><guid isPermaLink="false">ep-4</guid><description>Talk.</description>
        <itunes:duration>41:07</itunes:duration>
        <enclosure url="https://cdn.example.org/ep4.mp3" type="audio/mpeg" length="9900"/>
        </item></channel></rss>"""
    )
    fields, body = entry_fields(parsed.entries[0])
    article = build(fields, store="old-cms", key="ep-4", origin="o", site=SITE, body_html=body)
    (audio,) = article.media
    assert (audio.url, audio.type, audio.length, audio.duration) == (
        "https://cdn.example.org/ep4.mp3",
        "audio/mpeg",
        9900,
        2467,
    )


def test_a_partner_item_cannot_take_a_local_storys_guid(site: Site, origin):
    """Wire copy whose <guid> is a story's GUID here is refused, naming the story; the
    story stays in every feed under its own title."""
    base, handler = origin
    site.write("harbour.txt", page("Harbour Lights Restored", "The lamps were lit again."))
    site.configure(extra=f'[[store]]\npath = "{site.articles}"\n')
    site.build()
    (genuine,) = entries(site)
    forged = OLD_FEED.replace(b"cms-item-991", genuine.id.encode()).replace(
        b"Budget &amp; Taxes", b"Harbour Lights Restored (FAKE)"
    )
    handler.routes["/rss"] = (200, {"Content-Type": "application/rss+xml"}, forged)
    site.configure(
        extra=f'[[store]]\npath = "{site.articles}"\n'
        f'[[store]]\nkind = "feed"\nname = "wire"\nurl = "{base}/rss"\n'
    )
    report = site.build()
    refusal = f"{base}/rss item 1: id {genuine.id!r} is the GUID of harbour.txt in store 'files'"
    assert any(str(p).startswith(refusal) for p in report.problems), report.problems
    assert [(e.id, e.title) for e in entries(site)] == [(genuine.id, genuine.title)]
    checked = subprocess.run(
        [sys.executable, "-m", "feedsvc", "--config", str(site.config), "check"],
        capture_output=True,
        text=True,
    )
    assert refusal in checked.stdout, checked.stderr[-3000:]


def test_an_enclosure_length_of_odd_digits_is_dropped_not_the_build(site: Site, origin):
    """ "²" is a digit to str.isdigit, not to int: the length is left out, the item in."""
    base, handler = origin
    feed = OLD_FEED.replace(b'length="1234"', 'length="²"'.encode())
    handler.routes["/rss"] = (200, {"Content-Type": "application/rss+xml"}, feed)
    feed_store(site, base + "/rss")
    report = site.build()
    assert report.ok, report.failures
    (item,) = entries(site)
    assert item.title == "Budget & Taxes" and item.enclosures[0].length == "0"  # unknown


def test_a_feed_stores_secrets_never_reach_the_commands_output(site: Site):
    """build and check name the feed that cannot be read, not its password or key."""
    feed_store(site, f"http://reader:PASS@127.0.0.1:{free_port()}/rss?api_key=s3cr3t")
    for command in ("build", "check"):
        out = subprocess.run(
            [sys.executable, "-m", "feedsvc", "--config", str(site.config), command],
            capture_output=True,
            text=True,
        )
        said = out.stdout + out.stderr
        assert "127.0.0.1" in said and "cannot fetch" in said, said
        assert "PASS" not in said and "s3cr3t" not in said, said
