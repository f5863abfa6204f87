"""Podcast feeds: what Apple Podcasts and Spotify take, read back by gPodder's parser
(podcastparser), feedparser and the strict check alike; articles without audio stay out."""

import functools
import io
import json
import struct
import threading
import uuid
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import feedparser
import podcastparser
import pytest
from conftest import Site, feedsvc, md
from lxml import etree

from feedsvc.content.audio import HEAD_BYTES, duration
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


def m4a(seconds: int, size: int) -> bytes:
    """An M4A file as made for streaming: its type, the movie header, then the media."""
    header = bytes(4) + struct.pack(">IIII", 0, 0, 1000, seconds * 1000) + bytes(80)
    mvhd = struct.pack(">I4s", 8 + len(header), b"mvhd") + header
    head = struct.pack(">I4s4sI4s", 20, b"ftyp", b"M4A ", 0, b"isom")
    head += struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return head + struct.pack(">I4s", size - len(head), b"mdat") + bytes(size - len(head) - 8)


@pytest.fixture
def audio_host(tmp_path) -> Iterator[str]:
    """A web server on 127.0.0.1 with the bonus episode's audio (12 min 34 s)."""
    folder = tmp_path / "cdn" / "audio"
    folder.mkdir(parents=True)
    (folder / "radio-002.m4a").write_bytes(m4a(754, 300_000))
    handler = functools.partial(Quiet, directory=str(tmp_path / "cdn"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def configure_show(site: Site, probe: str = "any") -> None:
    """The show configured, audio in bodies learned (from 127.0.0.1: "any")."""
    site.configure(extra=SHOW)
    text = site.config.read_text(encoding="utf-8")
    site.config.write_text(text.replace("[site]\n", f'[site]\nmedia_probe = "{probe}"\n'))


def _episodes(site: Site, bonus: str = EPISODE_TWO) -> None:
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
            f'<p>Полная запись беседы.</p><audio controls src="{bonus}"></audio>',
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
    site: Site, audio_host: str
):
    """The bonus episode's audio is in its body: its length and duration are learned
    from the audio's server (a range request), as podcast apps need them."""
    configure_show(site)
    bonus_audio = f"{audio_host}/audio/radio-002.m4a"
    _episodes(site, bonus_audio)
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
    assert [(e["url"], e["file_size"]) for e in bonus["enclosures"]] == [(bonus_audio, 300_000)]
    assert bonus["total_time"] == 754
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
    site: Site, audio_host: str
):
    configure_show(site)
    _episodes(site, f"{audio_host}/audio/radio-002.m4a")
    assert site.build().ok

    def titles() -> list[str]:
        return [e["title"] for e in podcastparser.parse(
            site.url, io.BytesIO((site.feeds / "radio.rss").read_bytes()))["episodes"]]  # fmt: skip

    site.write(
        "text.md",
        md(
            "Су деңгейі төмендеді",
            '<p>Мәтін ғана.</p><audio src="https://cdn.example.org/audio/kk.ogg"></audio>',
            media='[{ url = "https://cdn.example.org/audio/kk.mp3", length = 2_000_000 }]',
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
        md(
            "One",
            media=f'[{{ url = "{EPISODE_ONE}", length = 9_000, duration = 90 }}]',
            episode="3",
        ),
    )
    site.write(
        "two.md",
        md(
            "Two",
            media=f'[{{ url = "{EPISODE_TWO}", length = 6_000, duration = 60 }}]',
            episode="4",
        ),
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
    site.write(
        "good.md", md("Good", media=f'[{{ url = "{EPISODE_ONE}", length = 5_000 }}]', episode="5")
    )
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


def test_m4a_is_enclosed_as_apple_spells_it_and_bare_aac_stays_out_with_a_warning(
    site: Site, audio_host: str
):
    """Apple lists audio/x-m4a, not audio/mp4 (what .m4a is guessed as), and no bare
    AAC: an .m4a episode is enclosed as audio/x-m4a; an .aac-only one stays out of the
    podcast feed, and `check` says why."""
    configure_show(site)
    _episodes(site, bonus := f"{audio_host}/audio/radio-002.m4a")
    site.write("aac.md", md("AAC only", media='[{ url = "https://cdn.example.org/a/x.aac" }]'))
    assert site.build().ok
    feed = etree.fromstring((site.feeds / "radio.rss").read_bytes())
    types = {e.get("url"): e.get("type") for e in feed.iter("enclosure")}
    assert types[bonus] == "audio/x-m4a"
    assert "https://cdn.example.org/a/x.aac" not in types
    checked = feedsvc("--config", str(site.config), "check")
    assert "aac.md: warning: audio, but none podcast apps play" in checked.stdout


def mp3(frames: int, *, xing: bool = False) -> bytes:
    """MPEG-1 Layer III at 128 kbit/s, 44.1 kHz, stereo: 417-byte frames (1152 samples
    each), after an ID3 tag; the first frame says the count when `xing`."""
    frame = bytearray(b"\xff\xfb\x90\x00" + bytes(413))
    first = bytearray(frame)
    if xing:
        first[36:48] = b"Xing" + struct.pack(">II", 1, frames)
    tag = b"ID3\x04\x00\x00" + bytes([0, 0, 1, 0]) + bytes(128)  # a 128-byte ID3v2 body
    return tag + bytes(first) + bytes(frame) * (frames - 1)


def test_how_long_audio_plays_is_read_from_its_head():
    """From the first 64 KB: a constant-rate MP3 by its bit rate over its length, a VBR
    one by the frame count its Xing frame states, M4A by its movie header when first."""
    cbr = mp3(3000)  # 3000 x 1152 / 44100 = 78.4 s
    assert duration(cbr[:HEAD_BYTES], len(cbr)) == 78
    vbr = mp3(10_000, xing=True)  # the count stated: 261.2 s, whatever the length
    assert duration(vbr[:HEAD_BYTES], None) == 261
    assert duration(m4a(754, 300_000)[:HEAD_BYTES], 300_000) == 754
    moov_last = m4a(754, 300_000)
    moov_last = moov_last[:20] + moov_last[136:] + moov_last[20:136]  # mdat before moov
    assert duration(moov_last[:HEAD_BYTES], 300_000) is None
    assert duration(b"<html>not audio</html>", 22) is None


class Counted(Quiet):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        super().do_GET()


def test_audio_in_a_body_is_asked_once_and_never_on_a_private_address_unless_allowed(
    site: Site, tmp_path
):
    """Off (the default) or "public": the body's audio on 127.0.0.1 is not asked and the
    episode stays out of the podcast, `check` saying why; "any": asked once, kept in
    the state, and not asked again by later builds."""
    (tmp_path / "cdn").mkdir()
    (tmp_path / "cdn" / "talk.mp3").write_bytes(mp3(3000))
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Counted, directory=str(tmp_path / "cdn"))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    talk = f"http://127.0.0.1:{server.server_address[1]}/talk.mp3"
    try:
        for mode in ("off", "public"):
            configure_show(site, mode)
            site.write("talk.md", md("Talk", f'<p>Listen.</p><audio src="{talk}"></audio>'))
            assert site.build().ok
            assert (
                not (site.feeds / "radio.rss").exists()
                or b"talk.mp3" not in (site.feeds / "radio.rss").read_bytes()
            )
            checked = feedsvc("--config", str(site.config), "check")
            assert "talk.md: warning: audio of unknown length" in checked.stdout
        assert Counted.asked == []
        configure_show(site, "any")
        site.write("talk.md", md("Talk", f'<p>Listen again.</p><audio src="{talk}"></audio>'))
        assert site.build().ok
        episode = feedparser.parse((site.feeds / "radio.rss").read_bytes()).entries[0]
        assert [(e.href, e.length) for e in episode.enclosures] == [(talk, str(len(mp3(3000))))]
        assert episode.itunes_duration == "78"
        site.write("talk.md", md("Talk", f'<p>Listen once more.</p><audio src="{talk}"></audio>'))
        assert site.build().ok
        assert Counted.asked == ["/talk.mp3"]
    finally:
        server.shutdown()
        server.server_close()
