"""What a polling feed reader gets from the built-in server (real uvicorn, real HTTP)."""

import gzip
import re
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import unquote

import feedparser
import httpx
import lxml.etree
import lxml.html
import pytest
from conftest import Site, md, page


@pytest.fixture
def served(site: Site, start_server):
    site.write("a.txt", page("Harbour Opens", "Boats came in.", author="Tomas Brightwater"))
    site.write("b.txt", page("Мост закрыт на ремонт", "Ремонт продлится всё лето."))
    site.write("c.md", md("Цены на хлеб выросли", categories="['Экономика']"))
    assert site.build().ok
    return start_server("serve")


def plain(served, path: str, **headers) -> httpx.Response:
    return served.get(path, headers={"Accept-Encoding": "identity", **headers})


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feeds/main.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/main.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/latest.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/latest.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/main.json", "application/feed+json"),
        (
            "/feeds/category/%D1%8D%D0%BA%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D0%BA%D0%B0.rss",
            "application/rss+xml; charset=utf-8",
        ),
        ("/feeds/main/archive/1.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds.opml", "text/x-opml; charset=utf-8"),
        ("/feeds/main.html", "text/html; charset=utf-8"),
    ],
)
def test_feeds_are_served_with_type_validators_and_caching(served, site: Site, path, content_type):
    response = plain(served, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["etag"])
    file = site.root / "public" / unquote(path.lstrip("/"))
    mtime = file.stat().st_mtime
    assert response.headers["last-modified"] == formatdate(int(mtime), usegmt=True)
    assert response.headers["cache-control"] == "max-age=60"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in response.headers
    assert response.content == file.read_bytes()


def test_the_self_link_is_the_url_fetched(served):
    url = served.url + "feeds/main.atom"
    parsed = feedparser.parse(plain(served, "/feeds/main.atom").content)
    assert [link.href for link in parsed.feed.links if link.rel == "self"] == [url]


def test_if_none_match_gives_304_with_validators_and_no_body(served):
    first = plain(served, "/feeds/main.rss")
    again = plain(served, "/feeds/main.rss", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == "max-age=60"
    assert again.headers["vary"] == "Accept-Encoding"
    # Nothing that describes a body it does not have (RFC 9110 15.4.5).
    assert not {"content-length", "content-type", "link"} & set(again.headers)
    weak = plain(served, "/feeds/main.rss", **{"If-None-Match": f'"x", W/{first.headers["etag"]}'})
    assert weak.status_code == 304
    other = plain(served, "/feeds/main.rss", **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_if_modified_since_gives_304_unless_the_feed_is_newer(served):
    first = plain(served, "/feeds/main.rss")
    modified = parsedate_to_datetime(first.headers["last-modified"])
    same = plain(served, "/feeds/main.rss", **{"If-Modified-Since": first.headers["last-modified"]})
    assert same.status_code == 304
    older = formatdate(modified.timestamp() - 3600, usegmt=True)
    assert plain(served, "/feeds/main.rss", **{"If-Modified-Since": older}).status_code == 200
    # A matching date does not win over an ETag that no longer matches.
    both = plain(
        served,
        "/feeds/main.rss",
        **{"If-Modified-Since": first.headers["last-modified"], "If-None-Match": '"stale"'},
    )
    assert both.status_code == 200


def test_gzip_when_asked(served, site: Site):
    response = served.get("/feeds/main.atom", headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == (site.feeds / "main.atom").read_bytes()  # httpx decompressed it
    raw = httpx.get(served.url + "feeds/main.atom", headers={"Accept-Encoding": "gzip"})
    etag = raw.headers["etag"]
    assert etag.endswith('-gzip"') and etag != plain(served, "/feeds/main.atom").headers["etag"]
    again = served.get(
        "/feeds/main.atom", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304
    refused = served.get("/feeds/main.atom", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_gzip_body_is_really_gzip(served, site: Site):
    with httpx.stream(
        "GET", served.url + "feeds/main.rss", headers={"Accept-Encoding": "gzip"}
    ) as r:
        compressed = b"".join(r.iter_raw())
    assert gzip.decompress(compressed) == (site.feeds / "main.rss").read_bytes()
    assert int(r.headers["content-length"]) == len(compressed)


def test_head_gives_the_headers_without_the_body(served):
    get = plain(served, "/feeds/main.rss")
    head = httpx.head(served.url + "feeds/main.rss", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "last-modified", "content-type", "content-length", "cache-control"):
        assert head.headers[name] == get.headers[name]


def test_unknown_feeds_are_404(served):
    for path in (
        "/feeds/nope.rss",
        "/feeds/main.txt",
        "/feeds/main.rss.gz",
        "/feeds/../config.toml",
        "/feeds/%2e%2e/config.toml",
        "/feeds/.feedsvc-build.lock",
        "/feeds/main",
    ):
        assert plain(served, path).status_code == 404, path


def test_index_page_lists_feeds_with_autodiscovery(served):
    response = plain(served, "/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    document = lxml.html.fromstring(response.content)
    discovered = {
        (link.get("type"), link.get("href"))
        for link in document.xpath("//head/link[@rel='alternate']")
        if link.get("title")
    }
    anchors = set(document.xpath("//body//a/@href"))
    types = {"rss": "application/rss+xml", "atom": "application/atom+xml",
             "json": "application/feed+json"}  # fmt: skip
    for name in ("main", "latest"):
        for fmt, mime in types.items():
            url = f"{served.url}feeds/{name}.{fmt}"
            assert (mime, url) in discovered
            assert url in anchors
    family = f"{served.url}feeds/category/%D1%8D%D0%BA%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D0%BA%D0%B0"
    assert f"{family}.json" in anchors and f"{family}.html" in anchors
    assert not any(href.startswith(family) for _type, href in discovered), (
        "families: no autodiscovery"
    )


def test_a_family_feed_says_the_address_it_is_fetched_from(served):
    path = "/feeds/category/%D1%8D%D0%BA%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D0%BA%D0%B0.atom"
    parsed = feedparser.parse(plain(served, path).content)
    assert parsed.feed.title == "Example News: Экономика"
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [served.url + path.lstrip("/")]
    assert [e.title for e in parsed.entries] == ["Цены на хлеб выросли"]


def test_opml_lists_every_feed_for_a_one_step_import(served):
    opml = lxml.etree.fromstring(plain(served, "/feeds.opml").content)
    urls = [o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")]
    assert urls == [
        f"{served.url}feeds/main.rss",
        f"{served.url}feeds/latest.rss",
        f"{served.url}feeds/category/%D1%8D%D0%BA%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D0%BA%D0%B0.rss",
    ]
    for url in urls:
        assert httpx.get(url, timeout=10).status_code == 200


def test_healthz_reports_the_last_build(served):
    response = plain(served, "/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    assert report["last_build"]["ok"] is True
    assert report["last_build"]["articles"] == 3
    assert 0 <= report["age_seconds"] < 60


def test_healthz_is_503_before_the_first_build(site: Site, start_server):
    server = start_server("serve")
    response = server.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "no build yet"
    assert server.get("/feeds/main.rss").status_code == 404


def test_healthz_is_503_when_the_last_good_build_is_too_old(site: Site, start_server):
    site.configure(server="health_max_age = 0.5")
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build()
    server = start_server("serve")
    response = server.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"].startswith("stale")


def test_the_server_holds_a_bounded_number_of_bytes(tmp_path):
    from feedsvc.web.ready import ReadyFiles, Serving

    (tmp_path / "feeds").mkdir()
    for number in range(10):
        (tmp_path / "feeds" / f"{number}.rss").write_bytes(bytes([number]) * 10_000)
    cache = ReadyFiles(tmp_path, Serving("http://127.0.0.1/", (), 60, False), max_bytes=35_000)
    for number in range(10):
        assert cache.get(f"feeds/{number}.rss").plain.body == bytes([number]) * 10_000
    assert 10_000 < cache.held_bytes <= 35_000
    assert cache.get("feeds/0.rss").plain.body == bytes([0]) * 10_000, (
        "a forgotten file is read again"
    )
