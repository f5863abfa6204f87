"""Readers: subscriber counts aggregators state in their User-Agent, and distinct direct
clients a day, counted by every worker and replica into one state, with no address kept."""

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import Site, feedsvc, free_port, md, wait_until
from hypothesis import given
from hypothesis import strategies as st

from feedsvc.core.audience import Reported, reported
from feedsvc.core.sketch import Sketch
from feedsvc.state.audience import AGGREGATORS_PER_FEED
from feedsvc.state.database import State
from feedsvc.web.audience import AGENTS_PER_ADDRESS, AudienceTally

# As these aggregators and readers send them (feed ids and counts changed).
FEEDLY = (
    "Feedly/1.0 (+http://www.feedly.com/fetcher.html; {n} subscribers; like FeedFetcher-Google)"
)
INOREADER = "Mozilla/5.0 (compatible; Inoreader/1.0; +http://www.inoreader.com/feed-fetcher; {n} subscribers; )"
NEWSBLUR = (
    "NewsBlur Feed Fetcher - {n} subscribers - http://www.newsblur.com/site/6259413/example-news "
    "(Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/12.0 Safari/605.1.15)"
)
OLD_READER = "Mozilla/5.0 (compatible; theoldreader.com; {n} subscribers; feed-id=5e2f1c9b8a7d)"
FEEDBIN = "Feedbin feed-id:1873402 - {n} subscribers"
NETNEWSWIRE = "NetNewsWire (RSS Reader; https://netnewswire.com/)"


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (FEEDLY.format(n=1234), Reported("Feedly", 1234)),
        (INOREADER.format(n=56), Reported("Inoreader", 56)),
        (NEWSBLUR.format(n=7), Reported("NewsBlur", 7)),
        (OLD_READER.format(n=12), Reported("The Old Reader", 12, "5e2f1c9b8a7d")),
        (FEEDBIN.format(n=21), Reported("Feedbin", 21, "1873402")),
        (
            "Mozilla/5.0 (compatible; BazQux/2.4; +https://bazqux.com/fetcher; 3 subscribers)",
            Reported("BazQux", 3),
        ),
        (
            "Feedfetcher-Google; (+http://www.google.com/feedfetcher.html; 4 subscribers; "
            "feed-id=9048986372668769311)",
            Reported("Google Feedfetcher", 4, "9048986372668769311"),
        ),
        (
            "Overcast/1.0 Podcast Sync (1190 subscribers; feed-id=554901; +http://overcast.fm/)",
            Reported("Overcast", 1190, "554901"),
        ),
        # An aggregator feedsvc does not know, in the same shape: named by its product.
        ("Mozilla/5.0 (compatible; Lentalenta/3.1; 9 subscribers)", Reported("Lentalenta", 9)),
        # Readers that state no count: direct clients.
        ("Mozilla/5.0 (compatible; Miniflux/2.2.3; +https://miniflux.app)", None),
        (NETNEWSWIRE, None),
        ("Newsboat/2.30 (Linux x86_64)", None),
        # A number too long to be a count is no count.
        ("Spoof/1.0 (99999999999 subscribers)", None),
    ],
)
def test_aggregators_are_read_from_their_user_agents(agent: str, expected: Reported | None):
    assert reported(agent) == expected


def _sketch(keys) -> Sketch:
    made = Sketch()
    for key in keys:
        made.add(key)
    return made


@pytest.mark.parametrize("readers", [0, 1, 7, 30, 50])
def test_a_few_readers_are_counted_exactly(readers: int):
    keys = [f"10.1.{n // 250}.{n % 250}\0NetNewsWire".encode() for n in range(readers)]
    assert _sketch(keys + keys).count() == readers


def test_many_readers_are_counted_within_two_percent_and_merge_as_a_union():
    first = _sketch(f"client {n}".encode() for n in range(30_000))
    second = _sketch(f"client {n}".encode() for n in range(20_000, 50_000))
    assert abs(first.count() - 30_000) < 600
    first.merge(second)
    assert abs(first.count() - 50_000) < 1000
    assert Sketch.from_text(first.to_text()) == first  # dense, as the state holds it


@given(
    st.lists(st.binary(max_size=40), max_size=200), st.lists(st.binary(max_size=40), max_size=200)
)
def test_merging_two_sketches_is_the_sketch_of_both(left: list[bytes], right: list[bytes]):
    merged = _sketch(left)
    merged.merge(_sketch(right))
    assert merged == _sketch(left + right)
    assert Sketch.from_text(merged.to_text()) == merged
    assert abs(merged.count() - len(set(left + right))) <= max(1, len(set(left + right)) // 50)


def _poll(url: str, agent: str, client: str = "") -> None:
    headers = {"User-Agent": agent}
    if client:
        headers["X-Forwarded-For"] = client
    with httpx.Client() as fresh:  # a connection of its own: any worker may take it
        assert fresh.get(url, headers=headers, timeout=10).status_code == 200


def _metric(metrics: str, name: str, **labels: str) -> float | None:
    shown = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    found = re.search(rf"^{name}\{{{re.escape(shown)}\}} (\S+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else None


def _figures(base: str) -> dict[str, float | None]:
    text = httpx.get(base + "metrics", timeout=10).text
    return {
        "feedly": _metric(text, "feedsvc_subscribers", feed="feeds/main.rss", aggregator="Feedly"),
        "inoreader": _metric(
            text, "feedsvc_subscribers", feed="feeds/main.atom", aggregator="Inoreader"
        ),
        "direct": _metric(text, "feedsvc_direct_clients", feed="feeds/main.rss"),
    }


EXPECTED = {"feedly": 1240.0, "inoreader": 56.0, "direct": 30.0}


def test_readers_over_several_workers_add_up_in_metrics_stats_and_audience(
    site: Site, start_server
):
    site.configure(server="workers = 2\ntrusted_proxies = ['127.0.0.1']\nrate_limit = 0")
    site.write("one.md", md("Трамвайная линия открыта", "<p>Первый рейс прошёл.</p>"))
    server = start_server("run")
    rss, atom = site.url + "feeds/main.rss", site.url + "feeds/main.atom"
    # (Waited for by another feed: this test's own client would be a direct reader.)
    json_feed = site.url + "feeds/main.json"
    wait_until(lambda: httpx.get(json_feed, timeout=5).status_code == 200, 30, what="the feed")
    _poll(rss, FEEDLY.format(n=1234))
    _poll(atom, INOREADER.format(n=56))
    for _ in range(3):  # each reader polls three times, over any worker, and two feeds
        for n in range(1, 31):
            _poll(rss, NETNEWSWIRE, f"10.0.0.{n}")
            _poll(atom, NETNEWSWIRE, f"10.0.0.{n}")
    _poll(rss, FEEDLY.format(n=1240))  # the latest count stands
    wait_until(lambda: _figures(site.url) == EXPECTED, 20, what=f"{EXPECTED} in /metrics")

    stats = feedsvc("--config", str(site.config), "stats")
    assert "readers: 1,296 subscribers reported by aggregators (Feedly 1,240, Inoreader 56)" in (
        stats.stdout
    )
    # 30 readers of two feeds, and this test's own client that waited for the first build:
    # 31 readers of the site (the feeds' counts added up made 61). Each worker flushes
    # what it saw every 5 s: the other one's polls of the Atom feed may come later.
    site_line = "direct clients of the site (each counted once, whatever it polls) 31 today"
    wait_until(
        lambda: site_line in feedsvc("--config", str(site.config), "stats").stdout,
        20,
        what="both workers' readers in stats",
    )
    table = feedsvc("--config", str(site.config), "audience", "--since", "1d")
    assert table.returncode == 0, table.stderr
    rows = [line.split() for line in table.stdout.splitlines()]
    assert rows[2][:3] == ["feeds/main.atom", "Inoreader", "56"]
    assert rows[3][:3] == ["feeds/main.rss", "Feedly", "1,240"]
    assert any(row[:1] == ["feeds/main.rss"] and row[-1] == "30" for row in rows[6:])
    assert any(row[:4] == ["the", "site,", "each", "once"] and row[-1] == "31" for row in rows)
    assert feedsvc("--config", str(site.config), "audience", "--since", "soon").returncode == 2

    # No reader's address is kept anywhere in the state.
    exported = feedsvc("--config", str(site.config), "state", "export", "-")
    assert exported.returncode == 0, exported.stderr
    assert "10.0.0." not in exported.stdout and "NetNewsWire" not in exported.stdout
    assert server.process.poll() is None


@pytest.mark.usefixtures("pg_database")
def test_readers_over_replicas_on_postgresql_add_up_each_reader_once(site: Site, pg_database: str):
    from test_replicas import Replica

    site.write("one.md", md("Harbour Cranes Replaced"))
    replicas = []
    for number in (1, 2):
        config = site.root / f"replica{number}.toml"
        port = free_port()
        config.write_text(
            f'[site]\nbase_url = "{site.url}"\n[schedule]\ninterval = 2\n'
            f"[server]\nport = {port}\nrate_limit = 0\ntrusted_proxies = ['127.0.0.1']\n"
            f'[state]\nurl = "{pg_database}"\n[[store]]\npath = "{site.articles}"\n'
            f'[[publish]]\npath = "{site.root / f"public{number}"}"\n',
            encoding="utf-8",
        )
        replicas.append(Replica(number, port, config, site.root / f"replica{number}.log"))
    try:
        for replica in replicas:
            replica.start()
        one, two = replicas
        ready = lambda: all(r.feed("feeds/main.json").status_code == 200 for r in replicas)  # noqa: E731
        wait_until(ready, 30, what="feeds")
        _poll(one.url + "feeds/main.rss", FEEDLY.format(n=1234))
        _poll(two.url + "feeds/main.atom", INOREADER.format(n=56))
        for n in range(1, 21):  # readers 11 to 20 poll both replicas: counted once
            _poll(one.url + "feeds/main.rss", NETNEWSWIRE, f"10.0.0.{n}")
        for n in range(11, 31):
            _poll(two.url + "feeds/main.rss", NETNEWSWIRE, f"10.0.0.{n}")
        _poll(two.url + "feeds/main.rss", FEEDLY.format(n=1240))
        for replica in replicas:
            wait_until(lambda r=replica: _figures(r.url) == EXPECTED, 20, what=f"{EXPECTED}")
        table = feedsvc("--config", str(one.config), "audience")
        assert "feeds/main.rss" in table.stdout and "1,240" in table.stdout, table.stderr
    finally:
        for replica in replicas:
            replica.stop()


def test_a_stranger_cannot_inflate_the_counts_nor_fill_the_table_for_good(tmp_path):
    """100 polls claiming 10,000,000 Feedly subscribers under 100 feed ids counted 1e9
    (a sum over the ids), and their rows filled the feed's places for ever: a count is
    the largest single report, and reports a week old are deleted, freeing places."""
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    feed, first = "feeds/main.rss", datetime(2026, 11, 2, 8, tzinfo=UTC)
    fakes = {
        (feed, name, f"x{n}"): (10_000_000, first)
        for n in range(100)
        for name in (f"Fake{n}", "Feedly")
    }
    assert state.audience.record(fakes, {}, first.date())
    shown = {r.aggregator: r.subscribers for r in state.audience.readers()}
    assert shown.get("Feedly", 0) <= 10_000_000 and len(shown) <= AGGREGATORS_PER_FEED
    real = {(feed, "Inoreader", ""): (56, first + timedelta(days=8))}
    assert state.audience.record(real, {}, (first + timedelta(days=8)).date())
    assert [(r.aggregator, r.subscribers) for r in state.audience.readers()] == [("Inoreader", 56)]
    state.close()


def test_one_address_making_up_user_agents_is_a_few_readers_not_thousands():
    """10,000 conditional polls from one address, each with a User-Agent of its own,
    counted as 10,000 direct clients (one address was 203,890 readers): a feed counts
    at most AGENTS_PER_ADDRESS User-Agents from one address a day."""
    tally = AudienceTally()
    now = datetime(2026, 12, 6, 12, tzinfo=UTC).timestamp()
    for number in range(10_000):
        tally.saw("feeds/main.rss", b"Flood/%d" % number, "203.0.113.9", now + number / 100)
    for number in range(5):  # five readers behind another address: each counted
        tally.saw("feeds/main.rss", b"Reader/%d" % number, "198.51.100.7", now)
    _reports, days = tally.take()
    (sketch,) = days.values()
    assert sketch.count() == AGENTS_PER_ADDRESS + 5
