"""Feed definitions: filters, families, content, formats, media and channel hints."""

import json
from urllib.parse import quote

import feedparser
import pytest
from conftest import Site, feedsvc, md
from lxml import etree

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "media": "http://search.yahoo.com/mrss/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def titles(site: Site, path: str) -> list[str]:
    body = (site.feeds / path).read_bytes()
    if path.endswith(".json"):
        return [item["title"] for item in json.loads(body)["items"]]
    return [e.title for e in feedparser.parse(body).entries]


def newsroom(site: Site) -> None:
    """Four stories across sections, regions, tags and authors, oldest first."""
    site.write(
        "a.md",
        md("Bank Rate Held", categories="['Economy']", region="'Almaty'", published="2026-11-01"),
    )
    site.write(
        "b.md",
        md("Port Traffic Grows", categories="['economy ']", region="'Aktau'",
           tags="['ports']", published="2026-11-02"),
    )  # fmt: skip
    site.write(
        "c.md",
        md("Candidates Debate", categories="['Politics']", tags="['elections']",
           author="'Мария Лебедева'", published="2026-11-03"),
    )  # fmt: skip
    site.write(
        "d.md",
        md("Цены на хлеб выросли", categories="['Экономика']", region="'Almaty'",
           author="'Мария Лебедева'", language="'ru'", published="2026-11-04"),
    )  # fmt: skip


FILTERED = """
[[feeds]]
name = "economy"
category = "Economy"
[[feeds]]
name = "almaty-economy"
category = ["Economy", "Экономика"]
region = "almaty"
[[feeds]]
name = "elections-or-almaty"
tag = "elections"
region = "Almaty"
match = "any"
[[feeds]]
name = "maria"
author = "Мария Лебедева"
"""


def test_filters_select_by_label_alone_all_of_or_any_of(site: Site):
    site.configure(extra=FILTERED)
    newsroom(site)
    assert site.build().ok
    # "economy " and "Economy" are one section: labels compare by slug.
    assert titles(site, "economy.rss") == ["Port Traffic Grows", "Bank Rate Held"]
    assert titles(site, "almaty-economy.rss") == ["Цены на хлеб выросли", "Bank Rate Held"]
    assert titles(site, "elections-or-almaty.rss") == [
        "Цены на хлеб выросли",
        "Candidates Debate",
        "Bank Rate Held",
    ]
    assert titles(site, "maria.atom") == ["Цены на хлеб выросли", "Candidates Debate"]


def test_a_family_gives_one_feed_per_value_with_unicode_slugs(site: Site):
    site.configure(extra='[[feeds]]\nname = "section"\nper = "category"\ntitle = "News: {value}"\n')
    newsroom(site)
    assert site.build().ok
    family = sorted(p.name for p in (site.feeds / "section").glob("*.rss"))
    assert family == ["economy.rss", "politics.rss", "экономика.rss"]
    rss = etree.fromstring((site.feeds / "section" / "экономика.rss").read_bytes())
    assert rss.findtext("channel/title") == "News: Экономика"
    self_href = rss.find("channel/atom:link[@rel='self']", NS).get("href")
    assert self_href == f"{site.url}feeds/section/{quote('экономика')}.rss"
    assert titles(site, "section/economy.json") == ["Port Traffic Grows", "Bank Rate Held"]
    # A value the store stops using keeps its feed, empty, so that its readers see the
    # article go; the index says so.
    (site.articles / "c.md").unlink()
    site.build()
    opml = (site.feeds.parent / "feeds.opml").read_text()
    assert "section/economy.rss" in opml and "section/politics.rss" in opml
    assert titles(site, "section/politics.rss") == []
    assert "no stories since" in (site.feeds.parent / "index.html").read_text()


def test_summary_feeds_carry_no_full_text_in_any_format(site: Site):
    site.configure(
        extra='[[feeds]]\nname = "main"\n[[feeds]]\nname = "brief"\ncontent = "summary"\n'
    )
    site.write("a.md", md("Bridge Opens", "First paragraph.\n\nSecond paragraph."))
    assert site.build().ok
    rss = etree.fromstring((site.feeds / "brief.rss").read_bytes())
    assert rss.find("channel/item/content:encoded", NS) is None
    assert rss.findtext("channel/item/description") == "First paragraph."
    atom = etree.fromstring((site.feeds / "brief.atom").read_bytes())
    assert atom.find("atom:entry/atom:content", NS) is None
    assert atom.findtext("atom:entry/atom:summary", namespaces=NS) == "First paragraph."
    item = json.loads((site.feeds / "brief.json").read_bytes())["items"][0]
    assert item["content_html"] == "First paragraph." and item["summary"] == "First paragraph."
    full = etree.fromstring((site.feeds / "main.rss").read_bytes())
    assert "Second paragraph." in full.findtext("channel/item/content:encoded", namespaces=NS)


def test_a_feed_is_written_only_in_the_formats_it_names(site: Site):
    site.configure(extra='[[feeds]]\nname = "atom-only"\nformats = ["atom"]\n')
    site.write("a.md", md("Story"))
    assert site.build().ok
    assert sorted(p.name for p in site.feeds.glob("atom-only.*")) == [
        "atom-only.atom",
        "atom-only.atom.gz",
        "atom-only.html",
        "atom-only.html.gz",
    ]


IMAGE = "{ url = 'https://cdn.example.org/p/wind.jpg', alt = 'Waves', length = 52100 }"


def test_an_article_image_is_an_enclosure_media_content_and_attachment(site: Site):
    site.write("a.md", md("Storm Hits Coast", image=IMAGE))
    site.write("b.md", md("No Size Known", image="{ url = 'https://cdn.example.org/p/x.png' }"))
    assert site.build().ok
    rss = etree.fromstring((site.feeds / "main.rss").read_bytes())
    items = {item.findtext("title"): item for item in rss.iterfind("channel/item")}
    enclosure = items["Storm Hits Coast"].find("enclosure")
    assert dict(enclosure.attrib) == {
        "url": "https://cdn.example.org/p/wind.jpg",
        "length": "52100",
        "type": "image/jpeg",
    }
    media = items["Storm Hits Coast"].find("media:content", NS)
    assert (media.get("medium"), media.get("fileSize")) == ("image", "52100")
    assert items["Storm Hits Coast"].find("media:thumbnail", NS).get("url").endswith("wind.jpg")
    unknown = items["No Size Known"].find("enclosure")
    assert (unknown.get("length"), unknown.get("type")) == ("0", "image/png")

    atom = feedparser.parse((site.feeds / "main.atom").read_bytes())
    storm = next(e for e in atom.entries if e.title == "Storm Hits Coast")
    assert storm.enclosures == [
        {"href": "https://cdn.example.org/p/wind.jpg", "type": "image/jpeg", "length": "52100"}
    ]  # fmt: skip
    assert [link.rel for link in storm.links] == ["alternate", "enclosure"]

    feed = json.loads((site.feeds / "main.json").read_bytes())
    item = next(i for i in feed["items"] if i["title"] == "Storm Hits Coast")
    assert item["image"] == "https://cdn.example.org/p/wind.jpg"
    assert item["attachments"] == [
        {"url": "https://cdn.example.org/p/wind.jpg", "mime_type": "image/jpeg",
         "title": "Waves", "size_in_bytes": 52100}
    ]  # fmt: skip


def test_channel_hints_logo_icon_and_languages(site: Site):
    site.config.write_text(
        f"""[site]
base_url = "{site.url}"
image = "https://example.org/logo.png"
icon = "https://example.org/icon.png"
[schedule]
interval = 300
[[feeds]]
name = "main"
[[feeds]]
name = "ru"
title = "Новости"
language = "ru"
image = "https://example.org/ru-logo.png"
"""
    )
    site.write("a.md", md("Хлеб подорожал", language="'ru'"))
    site.write("b.md", md("Bread Prices Rise"))
    assert site.build().ok
    rss = etree.fromstring((site.feeds / "main.rss").read_bytes())
    channel = rss.find("channel")
    assert channel.findtext("ttl") == "5"
    assert channel.findtext("sy:updatePeriod", namespaces=NS) == "hourly"
    assert channel.findtext("sy:updateFrequency", namespaces=NS) == "12"
    assert channel.findtext("image/url") == "https://example.org/logo.png"
    assert channel.findtext("image/link") == "https://example.org/"
    atom = etree.fromstring((site.feeds / "main.atom").read_bytes())
    assert atom.findtext("atom:logo", namespaces=NS) == "https://example.org/logo.png"
    assert atom.findtext("atom:icon", namespaces=NS) == "https://example.org/icon.png"
    assert atom.get(XML_LANG) == "en"
    langs = {
        e.findtext("atom:title", namespaces=NS): e.get(XML_LANG)
        for e in atom.iterfind("atom:entry", NS)
    }
    assert langs == {"Хлеб подорожал": "ru", "Bread Prices Rise": None}
    ru = etree.fromstring((site.feeds / "ru.atom").read_bytes())
    assert ru.get(XML_LANG) == "ru"
    assert ru.findtext("atom:logo", namespaces=NS) == "https://example.org/ru-logo.png"
    langs = {
        e.findtext("atom:title", namespaces=NS): e.get(XML_LANG)
        for e in ru.iterfind("atom:entry", NS)
    }
    # language = "ru" is the feed's language and its filter: the Russian article alone.
    assert langs == {"Хлеб подорожал": None}
    feed = json.loads((site.feeds / "main.json").read_bytes())
    assert (feed["icon"], feed["favicon"]) == (
        "https://example.org/logo.png",
        "https://example.org/icon.png",
    )


@pytest.mark.parametrize(
    ("feeds", "message"),
    [
        (
            'name = "x"\nselect = "latest"\ncategory = "Economy"\n',
            'feeds[0]: category needs select = "all"',
        ),
        ('name = "x"\nformats = ["rss", "rss"]\n', "feeds[0].formats: formats must be unique"),
        ('name = "x"\nformats = ["xml"]\n', "feeds[0].formats[0]: Input should be 'rss'"),
        ('name = "x"\nper = "colour"\n', "feeds[0].per: Input should be"),
        ('name = "x"\nimage = "logo.png"\n', "feeds[0].image: must be an absolute http(s) URL"),
    ],
)
def test_feed_definition_errors_name_the_key(site: Site, feeds: str, message: str):
    site.config.write_text(f"[[feeds]]\n{feeds}")
    result = feedsvc("--config", str(site.config), "check")
    assert result.returncode == 2
    assert f"{site.config}: {message}" in result.stderr


def test_snippet_prints_discovery_tags_for_the_named_feeds(site: Site):
    result = feedsvc("--config", str(site.config), "snippet")
    assert result.returncode == 0
    tree = etree.fromstring(f"<head>{result.stdout}</head>", etree.HTMLParser())
    links = [(link.get("type"), link.get("href")) for link in tree.iter("link")]
    assert ("application/feed+json", f"{site.url}feeds/main.json") in links
    assert ("application/atom+xml", f"{site.url}feeds/latest.atom") in links
    assert len(links) == 6  # main and latest, three formats each; families need the store


def test_a_guid_is_a_permalink_exactly_when_it_is_the_link(site: Site):
    url = "https://example.org/2026/bank-rate-held"
    site.write("a.md", md("Bank Rate Held", id=repr(url), url=repr(url)))
    site.write("b.md", md("Port Traffic Grows"))
    assert site.build().ok
    rss = etree.fromstring((site.feeds / "main.rss").read_bytes())
    guids = {i.findtext("title"): i.find("guid") for i in rss.iterfind("channel/item")}
    assert (guids["Bank Rate Held"].text, guids["Bank Rate Held"].get("isPermaLink")) == (
        url,
        "true",
    )
    assert guids["Port Traffic Grows"].get("isPermaLink") == "false"


def test_check_warns_of_a_filtered_feed_that_selects_nothing(site: Site):
    site.configure(extra='[[feeds]]\nname = "economy"\ncategory = "Ecnomy"\n')
    site.write("a.md", md("Bank Rate Held", categories="['Economy']"))
    result = feedsvc("--config", str(site.config), "check")
    assert result.returncode == 0, result.stdout
    assert "config: warning: feeds[0] ('economy'): selects no article (category = ['Ecnomy'])" in (
        result.stdout
    )
