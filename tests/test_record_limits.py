"""A record that would make a feed fail its check is refused at the store, named with
its file, line and field, and never holds back the other articles."""

import json

import pytest
from conftest import Site, md
from lxml import etree

GOOD = md("Паром снова ходит через залив", "Паром вышел в рейс после ремонта.")
ATOM = "{http://www.w3.org/2005/Atom}"


def titles(site: Site) -> list[str]:
    rss = etree.fromstring((site.feeds / "main.rss").read_bytes())
    return [item.findtext("title") for item in rss.iter("item")]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"published": "0001-01-01T00:00:00+14:00"}, "published: 0001-01-01T00:00:00+14:00 is "
         "outside the years 1900 to 2999"),
        ({"published": "0001-01-01"}, "published: 0001-01-01 is outside the years 1900 to 2999"),
        ({"updated": "9999-12-31T23:59:59-14:00"}, "updated: 9999-12-31T23:59:59-14:00 is "
         "outside the years 1900 to 2999"),
        ({"image": {"url": "javascript:1"}}, "image.url: must be an absolute http(s) URL"),
        ({"image": "https://exam[ple.org/a.jpg"}, "image.url: not a valid URL (Invalid IPv6 URL)"),
        ({"url": "https://example.org:99999/a"}, "url: not a valid URL (Port out of range"),
        ({"image": {"url": "/a.jpg", "type": "<b>"}}, "image.type: '<b>' is not a media type"),
        ({"image": {"url": "/a.jpg", "length": 10**30}}, "image.length: must be a whole number"),
        ({"tags": [f"t{n}" for n in range(50_000)]}, "tags: 50,000 given, over the 50 allowed"),
        ({"categories": ["x" * 101]}, "categories: 101 characters, over the 100 allowed"),
        ({"author": [f"Автор {n}" for n in range(21)]}, "author: 21 given, over the 20"),
        ({"language": "😀"}, "language: '😀' is not a language tag"),
        ({"summary": "ы" * 10_001}, "summary: 10,001 characters, over the 10,000 allowed"),
        ({"media": [{"url": "https://cdn.example/ep1"}]}, "media[0].type: cannot tell from the URL"),
        ({"media": [{"url": "/a.mp3", "duration": "1:75"}]}, "media[0].duration: must be seconds"),
        ({"media": [{"url": "/a.mp3", "bitrate": 128}]}, "media[0]: unknown field 'bitrate'"),
        ({"media": [{"url": "data:audio/mpeg;base64,AA"}]}, "media[0].url: must be an absolute"),
        ({"media": [{"url": f"/{n}.mp3"} for n in range(21)]}, "media: 21 given, over the 20"),
        ({"media": "not json"}, "media: not a JSON list"),
        # URLs browsers and Python read apart (issue 26): a backslash, a space, userinfo.
        ({"image": "https://example.org\\@evil.com/x.png"}, "image.url: no backslash, space"),
        ({"media": [{"url": "https://cdn.example.org/a b.mp3"}]}, "media[0].url: no backslash"),
        ({"transcript": "https://example.org\\x.vtt", "episode": 1}, "transcript: no backslash"),
        ({"image": "https://user:pw@example.org/x.png"}, "image.url: no user name or password"),
    ],
)  # fmt: skip
def test_a_record_that_would_break_a_feed_is_refused_by_name(site: Site, fields, reason):
    site.write("good.md", GOOD)
    record = {"title": "Плохая запись", "body_html": "<p>Текст.</p>", **fields}
    site.write("bad.ndjson", "\n" + json.dumps(record) + "\n")
    report = site.build()
    assert report.ok, report.failures
    (problem,) = [p for p in report.problems if "bad.ndjson" in p.path]
    assert problem.line == 2 and problem.reason.startswith(reason), problem
    assert titles(site) == ["Паром снова ходит через залив"]


def test_a_front_matter_date_before_python_knows_names_its_line(site: Site):
    site.write("old.md", md("Old", published="0001-01-01T00:00:00+14:00"))
    site.write("good.md", GOOD)
    report = site.build()
    assert report.ok
    (problem,) = report.problems
    assert (problem.path.endswith("old.md"), problem.line) == (True, 3)
    assert "outside the years 1900 to 2999" in problem.reason


def test_a_title_over_the_limit_is_refused_and_one_at_it_goes_in(site: Site):
    site.write("long.md", md("Д" * 501))
    site.write("limit.md", md("Д" * 500, published="2026-11-01"))
    report = site.build()
    (problem,) = report.problems
    assert problem.reason == "title: 501 characters, over the 500 allowed"
    assert titles(site) == ["Д" * 500]


def test_bidi_controls_leave_titles_and_names(site: Site):
    spoof = "Курс \u202eруб\u202c \u2066вырос\u2069"
    author = "'Иван \u202dПетров'"
    site.write("a.md", f"+++\ntitle = {json.dumps(spoof)}\nauthor = {author}\n+++\nТекст.\n")
    assert site.build().ok
    atom = etree.fromstring((site.feeds / "main.atom").read_bytes())
    assert atom.findtext(f"{ATOM}entry/{ATOM}title") == "Курс руб вырос"
    assert atom.findtext(f"{ATOM}entry/{ATOM}author/{ATOM}name") == "Иван Петров"


def built_within_the_limit(site: Site):  # -> BuildReport
    """A build that publishes every feed, its main feed within 2 MiB in every format."""
    report = site.build()
    assert report.ok, report.failures
    for fmt in ("rss", "atom", "json"):
        assert (site.feeds / f"main.{fmt}").stat().st_size <= 2 * 1024 * 1024
    return report


def test_long_articles_give_way_to_summaries_rather_than_freeze_the_feed(site: Site):
    """Fifty articles near the store's size limit make a main feed of about 25 MB: the
    feed is published under 2 MB, the newest with their whole text."""
    paragraph = "<p>" + "Длинный репортаж с места событий. " * 1000 + "</p>"
    for number in range(1, 51):
        when = f"2026-10-{1 + number % 28:02d}T{number % 24:02d}:00:00Z"
        record = {"title": f"Репортаж {number}", "body_html": paragraph * 8, "published": when}
        site.write(f"long{number}.json", json.dumps(record, ensure_ascii=False))
    report = built_within_the_limit(site)
    assert len(titles(site)) == 50
    atom = etree.fromstring((site.feeds / "main.atom").read_bytes())
    whole = [e.find(f"{ATOM}content") is not None for e in atom.iter(f"{ATOM}entry")]
    kept = whole.count(True)
    assert 0 < kept < 50 and whole == [True] * kept + [False] * (50 - kept)  # the newest
    summarised = {p.reason.split("'")[1] for p in report.problems if p.path == "feeds/main.atom"}
    assert all(p.warning and "published as its summary" in p.reason for p in report.problems)
    assert len(summarised) == 50 - kept


def test_articles_at_every_field_limit_are_published_within_the_size_readers_take(
    site: Site,
):
    """Seven articles within every field limit (20 media and 20 authors, titles, summaries and &-heavy addresses at their longest) made main.rss
    2.45 MB, held back for size, so that every later post was refused. Oldest first,
    their bodies, then categories, authors and media, give way, each named."""
    heavy = "?" + "&" * 1960
    for number in range(1, 8):
        record = {
            "title": f"Выпуск {number} " + "&<" * 240,
            "summary": "Сводка & <итоги> " * 580,
            "body_html": "<p>" + "Текст & <b>жирный</b> " * 2000 + "</p>",
            "published": f"2026-11-0{number}T10:00:00Z",
            "author": [f"Автор {n} " + "&" * 180 for n in range(20)],
            # (each names a feed of these seven: a few are enough, and quicker to check)
            "categories": [f"Рубрика {n} " + "&" * 85 for n in range(3)],
            "tags": [f"Метка {n} " + "&" * 85 for n in range(3)],
            "image": {"url": f"https://cdn.example.org/i.jpg{heavy}", "alt": "&" * 1000},
            "media": [
                {"url": f"https://cdn.example.org/{n}.mp3{heavy}", "title": "&" * 500}
                for n in range(20)
            ],
        }
        site.write(f"heavy{number}.json", json.dumps(record, ensure_ascii=False))
    report = built_within_the_limit(site)
    assert len(titles(site)) == 7
    named = {p.reason.split(" ")[1] for p in report.problems if p.path == "feeds/main.rss"}
    assert "1" in named and all(p.warning for p in report.problems)


def test_audio_found_in_a_body_is_held_to_the_media_limits_and_the_feed_publishes(site: Site):
    """Ten <audio> in a body, each with a 90 KB address, made main.rss 4.96 MB, held
    back for size, with every later post refused: they are left out of the item's
    media now (their links stay in the body, cut at the body limit), with a warning."""
    long = "https://cdn.example.org/a.mp3?" + "&" * 90_000
    body = "".join(f'<p>Часть {n}.</p><audio src="{long}{n}"></audio>' for n in range(10))
    site.write("good.md", GOOD)
    site.write("long.json", json.dumps({"title": "Десять записей", "body_html": body}))
    report = site.build()
    assert report.ok, report.failures
    assert "feeds/main.rss" in report.written
    assert (site.feeds / "main.rss").stat().st_size < 2 * 2**20
    assert set(titles(site)) == {"Паром снова ходит через залив", "Десять записей"}
    (warned,) = [p for p in report.problems if "long.json" in p.path and "media:" in p.reason]
    assert warned.warning and "10 of the audio and video in the body left out" in warned.reason
