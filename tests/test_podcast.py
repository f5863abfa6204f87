"""Podcast feeds: what Apple Podcasts and Spotify take, read back by gPodder's parser
(podcastparser), feedparser and the strict check alike; articles without audio stay out."""

import io
import json
import uuid

import feedparser
import podcastparser
import pytest
from conftest import Site, feedsvc, md
from lxml import etree

from feedsvc.core.config import ConfigError, load
from feedsvc.core.podcast import ITUNES_NS, PODCAST_NS
from feedsvc.feeds.formats import rss

ART = "https://example.org/art/radio-3000.jpg"
EPISODE_ONE = "https://cdn.example.org/audio/radio-001.mp3"
EPISODE_TWO = "https://cdn.example.org/audio/radio-002.m4a"
SHOW = f"""
[[feeds]]
name = "main"
[[feeds]]
name = "radio"
title = "Example News Radio"
kind = "podcast"
[feeds.podcast]
image = "{ART}"
image_size = 3000
category = "News"
subcategory = "Daily News"
owner_name = "Айгерим Сапарова"
owner_email = "podcast@example.org"
type = "serial"
"""


def _episodes(site: Site) -> None:
    site.write(
        "radio-1.md",
        md(
            "The flood, one week on",
            "<p>Our reporters return to the river towns.</p>",
            media=f'[{{ url = "{EPISODE_ONE}", length = 18_345_210, duration = "00:24:51" }}]',
            episode="1",
            season="1",
            transcript='"/transcripts/radio-1.vtt"',
            published='"2026-11-20T08:00:00Z"',
        ),
    )
    site.write(
        "radio-2.md",
        md(
            "Бонус: разговор с гидрологом",
            f'<p>Полная запись беседы.</p><audio controls src="{EPISODE_TWO}"></audio>',
            episode="2",
            season="1",
            episode_type='"bonus"',
            explicit="true",
            published='"2026-11-27T08:00:00Z"',
        ),
    )
    site.write(
        "drone.md",
        md(
            "Drone footage of the dam",
            '<video src="https://cdn.example.org/video/dam.mp4"></video>',
            published='"2026-11-28T08:00:00Z"',
        ),
    )
    site.write("text.md", md("Су деңгейі төмендеді", "<p>Мәтін ғана.</p>"))


def test_a_podcast_feed_reads_alike_in_podcastparser_feedparser_and_the_strict_check(
    site: Site,
):
    site.configure(extra=SHOW)
    _episodes(site)
    report = site.build()
    assert report.ok, report.problems
    body = (site.feeds / "radio.rss").read_bytes()
    url = site.url + "feeds/radio.rss"

    found: list[str] = []
    assert [read.title for read in rss.FORMAT.read(body, found)] == [
        "Бонус: разговор с гидрологом",
        "The flood, one week on",
    ]
    assert found == []

    show = podcastparser.parse(url, io.BytesIO(body))
    assert (show["title"], show["cover_url"], show["type"]) == ("Example News Radio", ART, "serial")
    assert show["itunes_categories"] == [["News", "Daily News"]]
    assert show["itunes_owner"] == {"name": "Айгерим Сапарова", "email": "podcast@example.org"}
    assert show["explicit"] is False and show["import_prohibited"] is False
    episodes = {episode["title"]: episode for episode in show["episodes"]}
    assert set(episodes) == {"Бонус: разговор с гидрологом", "The flood, one week on"}
    first, bonus = episodes["The flood, one week on"], episodes["Бонус: разговор с гидрологом"]
    assert [(e["url"], e["file_size"], e["mime_type"]) for e in first["enclosures"]] == [
        (EPISODE_ONE, 18345210, "audio/mpeg")
    ]
    assert (first["total_time"], first["number"], first["season"], first["type"]) == (
        1491,
        1,
        1,
        "full",
    )
    assert first["transcript_url"] == "https://example.org/transcripts/radio-1.vtt"
    assert [e["url"] for e in bonus["enclosures"]] == [EPISODE_TWO]
    assert (bonus["number"], bonus["type"], bonus["explicit"]) == (2, "bonus", True)

    parsed = feedparser.parse(body)  # (its itunes_explicit knows only "yes" and "clean")
    assert parsed.feed.image.href == ART
    by_title = {entry.title: entry for entry in parsed.entries}
    assert by_title["The flood, one week on"].itunes_duration == "1491"
    assert [e.href for e in by_title["The flood, one week on"].enclosures] == [EPISODE_ONE]
    assert by_title["Бонус: разговор с гидрологом"].itunes_episodetype == "bonus"

    # The podcast namespace's GUID of the feed's URL, on its archive page too (one show).
    guid = etree.fromstring(body).find("channel").findtext(f"{{{PODCAST_NS}}}guid")
    assert guid == str(
        uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), url.split("://")[1])
    )
    page = etree.fromstring((site.feeds / "radio" / "archive" / "1.rss").read_bytes())
    assert page.find("channel").findtext(f"{{{PODCAST_NS}}}guid") == guid

    # The other formats carry the same episodes; the news feed takes every article and
    # speaks no itunes:.
    assert len(json.loads((site.feeds / "radio.json").read_bytes())["items"]) == 2
    assert len(feedparser.parse((site.feeds / "radio.atom").read_bytes()).entries) == 2
    main = (site.feeds / "main.rss").read_bytes()
    assert len(feedparser.parse(main).entries) == 4 and ITUNES_NS.encode() not in main


def test_an_article_joins_the_podcast_when_it_gains_audio_and_leaves_when_it_loses_it(
    site: Site,
):
    site.configure(extra=SHOW)
    _episodes(site)
    assert site.build().ok

    def titles() -> list[str]:
        return [e["title"] for e in podcastparser.parse(
            site.url, io.BytesIO((site.feeds / "radio.rss").read_bytes()))["episodes"]]  # fmt: skip

    site.write(
        "text.md",
        md(
            "Су деңгейі төмендеді",
            '<p>Мәтін ғана.</p><audio src="https://cdn.example.org/audio/kk.ogg"></audio>',
            media='[{ url = "https://cdn.example.org/audio/kk.mp3" }]',
            published='"2026-11-29T08:00:00Z"',
        ),
    )
    # Audio podcast apps don't play: the article stays out, and the feed still publishes.
    site.write("drone.md", md("Drone", media='[{ url = "https://cdn.example.org/a/d.ogg" }]'))
    site.write("radio-1.md", md("The flood, one week on", "<p>Now text only.</p>"))
    report = site.build()
    assert report.ok, report.problems
    assert "feeds/radio.rss" in report.written
    assert sorted(titles()) == ["Бонус: разговор с гидрологом", "Су деңгейі төмендеді"]
    enclosure = etree.fromstring((site.feeds / "radio.rss").read_bytes()).find(".//enclosure")
    assert enclosure.get("url") == "https://cdn.example.org/audio/kk.mp3"
    checked = feedsvc("--config", str(site.config), "check")
    assert "drone.md: warning: audio, but none podcast apps play" in checked.stdout
    assert "text.md: warning" not in checked.stdout


def _broken(body: bytes) -> bytes:
    root = etree.fromstring(body)
    channel = root.find("channel")
    channel.remove(channel.find(f"{{{ITUNES_NS}}}image"))
    channel.find(f"{{{ITUNES_NS}}}category").set("text", "Cooking")
    channel.find(f"{{{ITUNES_NS}}}explicit").text = "maybe"
    first, second = channel.findall("item")
    first.find("enclosure").set("type", "audio/webm")
    first.find(f"{{{ITUNES_NS}}}duration").text = "ten minutes"
    second.remove(second.find("enclosure"))
    second.find(f"{{{ITUNES_NS}}}episode").text = "0"
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def test_the_strict_check_names_each_rule_of_apples_a_podcast_breaks(site: Site):
    site.configure(extra=SHOW)
    site.write(
        "one.md",
        md("One", media=f'[{{ url = "{EPISODE_ONE}", duration = 90 }}]', episode="3"),
    )
    site.write(
        "two.md", md("Two", media=f'[{{ url = "{EPISODE_TWO}", duration = 60 }}]', episode="4")
    )
    assert site.build().ok
    found: list[str] = []
    rss.FORMAT.read(_broken((site.feeds / "radio.rss").read_bytes()), found)
    joined = "\n".join(found)
    for expected in (
        "itunes:image '' is not an absolute JPEG or PNG URL",
        "'Cooking' is not one of Apple's categories",
        "itunes:explicit must be true or false",
        "enclosure type 'audio/webm' Apple does not play",
        "itunes:duration 'ten minutes' is not seconds or H:MM:SS",
        "podcast episode without an <enclosure>",
        "itunes:episode '0' is not a positive whole number",
    ):
        assert expected in joined


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("", r'feeds\[0\]: .*kind = "podcast" needs a \[feeds.podcast\] table'),
        (
            f'[feeds.podcast]\nimage = "{ART}"\nimage_size = 600\ncategory = "News"',
            r"feeds\[0\]\.podcast\.image_size: .*1400",
        ),
        (
            f'[feeds.podcast]\nimage = "{ART}"\nimage_size = 1400\ncategory = "Cooking"',
            r"feeds\[0\]\.podcast: 'Cooking' is not one of Apple's categories",
        ),
        (
            f'[feeds.podcast]\nimage = "{ART}"\nimage_size = 1400\ncategory = "News"\n'
            'subcategory = "Astronomy"',
            r"'Astronomy' is not a subcategory of 'News' \(those are: Business News",
        ),
        (
            f'[feeds.podcast]\nimage = "{ART}"\nimage_size = 1400\ncategory = "History"\n'
            "locked = true",
            r"locked needs owner_email",
        ),
        (
            f'formats = ["atom"]\n[feeds.podcast]\nimage = "{ART}"\nimage_size = 1400\n'
            'category = "History"',
            r'needs "rss" in formats',
        ),
    ],
)
def test_a_podcast_apple_would_refuse_stops_start_up_naming_the_key(
    site: Site, table: str, message: str
):
    site.configure(extra=f'[[feeds]]\nname = "radio"\nkind = "podcast"\n{table}')
    with pytest.raises(ConfigError, match=message):
        load(site.config)


def test_a_bad_episode_field_skips_that_article_only_and_names_it(site: Site):
    site.configure(extra=SHOW)
    site.write("good.md", md("Good", media=f'[{{ url = "{EPISODE_ONE}" }}]', episode="5"))
    site.write(
        "pilot.md", md("Pilot", media=f'[{{ url = "{EPISODE_TWO}" }}]', episode_type='"pilot"')
    )
    site.write(
        "notes.md", md("Notes", media=f'[{{ url = "{EPISODE_TWO}" }}]', transcript='"/t.docx"')
    )
    report = site.build()
    reasons = "\n".join(map(str, report.problems))
    assert (
        "pilot.md" in reasons
        and "episode_type: 'pilot' is not one of full, trailer, bonus" in reasons
    )
    assert "notes.md" in reasons and "transcript: give a file ending in one of .vtt" in reasons
    assert [e.title for e in feedparser.parse((site.feeds / "radio.rss").read_bytes()).entries] == [
        "Good"
    ]


def test_m4a_is_enclosed_as_apple_spells_it_and_bare_aac_stays_out_with_a_warning(site: Site):
    """Apple lists audio/x-m4a, not audio/mp4 (what .m4a is guessed as), and no bare
    AAC: an .m4a episode is enclosed as audio/x-m4a; an .aac-only one stays out of the
    podcast feed, and `check` says why."""
    site.configure(extra=SHOW)
    _episodes(site)
    site.write("aac.md", md("AAC only", media='[{ url = "https://cdn.example.org/a/x.aac" }]'))
    assert site.build().ok
    feed = etree.fromstring((site.feeds / "radio.rss").read_bytes())
    types = {e.get("url"): e.get("type") for e in feed.iter("enclosure")}
    assert types[EPISODE_TWO] == "audio/x-m4a"
    assert "https://cdn.example.org/a/x.aac" not in types
    checked = feedsvc("--config", str(site.config), "check")
    assert "aac.md: warning: audio, but none podcast apps play" in checked.stdout
