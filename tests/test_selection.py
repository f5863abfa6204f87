"""Choosing what goes in a feed: exclusion filters, language filters and families, and
the hreflang links between a family's languages."""

import json
from datetime import UTC, datetime

import feedparser
import pytest
from conftest import Site, md
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from feedsvc.state.database import State
from feedsvc.state.labels import Where

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def titles(site: Site, key: str) -> set[str]:
    return {e.title for e in feedparser.parse((site.feeds / f"{key}.atom").read_bytes()).entries}


def configure(site: Site, feeds: str, site_extra: str = "") -> None:
    site.configure(extra=feeds)
    if site_extra:
        text = site.config.read_text().replace("[site]\n", f"[site]\n{site_extra}", 1)
        site.config.write_text(text)


def test_sponsored_and_wire_copy_are_kept_out_of_the_main_feed(site: Site):
    configure(
        site,
        '[[feeds]]\nname = "main"\nexclude_category = ["Sponsored"]\nexclude_region = "wire"\n'
        '[[feeds]]\nname = "everything"\n'
        '[[feeds]]\nname = "section"\nper = "category"\nexclude_tag = ["партнёрский материал"]\n',
    )
    site.write("own.md", md("Council Agrees Budget", categories="['Politics']"))
    site.write("ad.md", md("Ten Reasons to Visit Our Spa", categories="['Sponsored', 'Politics']"))
    site.write("wire.md", md("Markets Close Higher", region="'Wire'"))
    site.write(
        "partner.md",
        md("Новый торговый центр", categories="['Politics']", tags="['Партнёрский материал']"),
    )
    assert site.build().ok
    assert titles(site, "main") == {"Council Agrees Budget", "Новый торговый центр"}
    assert len(titles(site, "everything")) == 4
    assert titles(site, "section/politics") == {
        "Council Agrees Budget",
        "Ten Reasons to Visit Our Spa",
    }

    # An article that becomes sponsored leaves the feed at the next build.
    site.write("own.md", md("Council Agrees Budget", categories="['Politics', 'sponsored']"))
    assert site.build().ok
    assert titles(site, "main") == {"Новый торговый центр"}


def test_an_excluded_label_in_a_latest_feed_is_refused_by_name(site: Site):
    configure(site, '[[feeds]]\nname = "latest"\nselect = "latest"\nexclude_tag = "ads"\n')
    from feedsvc.core.config import ConfigError, load

    with pytest.raises(ConfigError, match=r"feeds\[0\].*exclude_tag needs select = \"all\""):
        load(site.config)


@pytest.fixture
def three_languages(site: Site) -> Site:
    configure(
        site,
        '[store]\nlanguages = { "ru" = "ru", "kk" = "kk" }\n'
        '[[feeds]]\nname = "main"\n'
        '[[feeds]]\nname = "lang"\ntitle = "Example News ({value})"\nper = "language"\n'
        '[[feeds]]\nname = "russian"\nlanguage = "ru"\n',
    )
    site.write("harbour.md", md("Harbour Ferry Returns"))
    site.write("ru/snow.md", md("Снегопад закрыл перевал"))
    site.write("ru/bread.md", md("Хлеб подорожал"))
    site.write("kk/steppe.md", md("Даладағы фестиваль"))
    site.write("kk/english.md", md("A Kazakh-folder story in English", language="'en'"))
    assert site.build().ok
    return site


def test_one_feed_per_language_each_in_its_language(three_languages: Site):
    site = three_languages
    assert titles(site, "lang/en") == {"Harbour Ferry Returns", "A Kazakh-folder story in English"}
    assert titles(site, "lang/ru") == {"Снегопад закрыл перевал", "Хлеб подорожал"}
    assert titles(site, "lang/kk") == {"Даладағы фестиваль"}
    assert titles(site, "russian") == titles(site, "lang/ru")
    for key, language in (("lang/ru", "ru"), ("lang/kk", "kk"), ("russian", "ru")):
        atom = etree.fromstring((site.feeds / f"{key}.atom").read_bytes())
        assert atom.get(XML_LANG) == language
        assert {e.get(XML_LANG) for e in atom.iter(ATOM + "entry")} == {None}
        assert json.loads((site.feeds / f"{key}.json").read_bytes())["language"] == language
        rss = etree.fromstring((site.feeds / f"{key}.rss").read_bytes())
        assert rss.findtext("channel/language") == language


def test_a_language_family_links_its_members_with_hreflang(three_languages: Site):
    site = three_languages
    atom = etree.fromstring((site.feeds / "lang/ru.atom").read_bytes())
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in atom.findall(ATOM + "link")
        if link.get("rel") == "alternate" and link.get("hreflang")
    }
    assert alternates == {
        "en": f"{site.url}feeds/lang/en.atom",
        "kk": f"{site.url}feeds/lang/kk.atom",
    }
    page = html.fromstring((site.feeds / "lang/kk.html").read_bytes())
    head = {
        link.get("hreflang"): link.get("href") for link in page.iter("link") if link.get("hreflang")
    }
    assert head == {"en": f"{site.url}feeds/lang/en.html", "ru": f"{site.url}feeds/lang/ru.html"}
    shown = [a.text for a in page.iter("a") if a.get("hreflang")]
    assert shown == ["en", "ru"]


def test_a_new_language_reaches_every_member_and_a_site_language_change_relabels(
    three_languages: Site,
):
    site = three_languages
    site.write("de/zug.md", md("Der Zug fährt wieder", language="'de'"))
    assert site.build().ok
    atom = etree.fromstring((site.feeds / "lang/en.atom").read_bytes())
    assert f"{site.url}feeds/lang/de.atom" in {
        link.get("href") for link in atom.iter(ATOM + "link")
    }

    # The site turns out to be in Kazakh: the articles that state nothing are Kazakh.
    text = site.config.read_text().replace("[site]\n", '[site]\nlanguage = "kk"\n', 1)
    site.config.write_text(text)
    assert site.build().ok
    assert titles(site, "lang/kk") == {"Даладағы фестиваль", "Harbour Ferry Returns"}
    assert titles(site, "lang/en") == {"A Kazakh-folder story in English"}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sets(st.sampled_from("abcde"), max_size=3), st.integers(0, 5)),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 4),
)
def test_a_whole_family_selected_at_once_is_each_member_selected_alone(
    tmp_path_factory, stories, limit
):
    """A whole-site build selects a family's members in one query: the same articles,
    in the same order (ties on the date too), as a query per member."""
    site = Site(tmp_path_factory.mktemp("family") / "site", 0)
    site.articles.mkdir(parents=True)
    site.configure()
    for number, (sections, day) in enumerate(stories):
        categories = "[" + ", ".join(f"'Section {s}'" for s in sorted(sections)) + "]"
        site.write(
            f"{number}.md",
            md(
                f"Story {number}",
                categories=categories,
                published=f'"2026-11-0{day + 1}T08:00:00Z"',
            ),
        )
    assert site.build().ok
    state = State(site.settings().state.url)
    try:
        now, url = datetime.now(UTC), site.settings().site.article_url
        for base in (Where(), Where.of({"category": ["Section a"]}, "all")):
            family = base.within("category", "")
            together = state.newest_per_member(limit, now, family)
            for slug in [f"section-{s}" for s in "abcde"]:
                alone = state.newest(limit, now, url, base.within("category", slug))
                assert together.get(slug, []) == [a.id for a in alone], slug
    finally:
        state.close()
