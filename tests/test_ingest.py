"""The ingest API: POST and DELETE an article, and the feeds (and subscribers) follow at once."""

import json

import feedparser
import httpx
import pytest
from conftest import Site, feedsvc, md, wait_until
from subscribers import Subscribers, serve

TOKEN = "news-desk-token-42"


@pytest.fixture
def api(site: Site, start_server, monkeypatch):
    monkeypatch.setenv("FEEDSVC_TEST_TOKEN", TOKEN)
    site.configure(
        extra="[api]\ntoken = '${FEEDSVC_TEST_TOKEN}'\n[websub]\nallow_private_callbacks = true\n"
    )
    # An hour between scheduled builds: what appears at once was built by the API call.
    text = site.config.read_text().replace("interval = 1\n", "interval = 3600\n")
    site.config.write_text(text, encoding="utf-8")
    site.write("old.md", md("Ratusha clock repaired"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    return server


def post(site: Site, body, token: str = TOKEN) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return httpx.post(site.url + "api/articles", content=content, headers=headers, timeout=30)


def delete(site: Site, article_id: str, token: str = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.delete(site.url + f"api/articles/{article_id}", headers=headers, timeout=30)


ARTICLE = {
    "id": "2026-11-28-river",
    "title": "Река вышла из берегов",
    "body_markdown": "Вода поднялась на *два метра* за ночь.",
    "categories": ["Погода"],
    "author": "Ольга Светлова",
}


def test_a_posted_article_is_in_the_feeds_when_the_answer_comes(api, site: Site):
    response = post(site, ARTICLE)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["build"]["ok"] and answer["guid"]
    # No schedule tick in between (interval is an hour): the POST built the feeds.
    feed = api.get("/feeds/main.rss").text
    assert "Река вышла из берегов" in feed and answer["guid"] in feed
    assert "Река вышла из берегов" in api.get("/feeds/category/погода.atom").text

    changed = {**ARTICLE, "title": "Река отступает"}
    again = post(site, changed)
    assert again.status_code == 200 and again.json()["guid"] == answer["guid"]
    feed = api.get("/feeds/main.rss").text
    assert "Река отступает" in feed and "Река вышла из берегов" not in feed


def test_a_deleted_article_leaves_the_feeds(api, site: Site):
    assert post(site, ARTICLE).status_code == 201
    response = delete(site, ARTICLE["id"])
    assert response.status_code == 200 and response.json()["deleted"]
    assert "Река вышла" not in api.get("/feeds/main.rss").text
    assert delete(site, ARTICLE["id"]).status_code == 404
    assert delete(site, "old").status_code == 404, "only what the API posted"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "x1", "body_html": "<p>No title</p>"}, "title"),
        ({"id": "x2", "title": "Two bodies", "body_html": "a", "body_markdown": "b"}, "body_html"),
        (
            {"id": "x3", "title": "Bad date", "body_html": "a", "published": "yesterday"},
            "published",
        ),
        ({"id": "x4", "title": "Bad tags", "body_html": "a", "tags": 7}, "tags"),
        ({"id": "x5", "title": "Unknown", "body_html": "a", "colour": "red"}, "colour"),
        ({"title": "No id", "body_html": "a"}, "id"),
        (["a list"], None),
        (b"{not json", None),
    ],
)
def test_a_bad_body_is_422_naming_the_field_and_writes_nothing(api, site: Site, body, field):
    before = sorted(p.name for p in site.articles.rglob("*"))
    response = post(site, body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["error"]
    assert sorted(p.name for p in site.articles.rglob("*")) == before


def test_a_wrong_or_missing_token_is_401(api, site: Site):
    assert post(site, ARTICLE, token="guess").status_code == 401
    no_header = httpx.post(site.url + "api/articles", json=ARTICLE)
    assert no_header.status_code == 401
    assert no_header.headers["www-authenticate"].startswith("Bearer")
    assert delete(site, "old", token="nope").status_code == 401
    assert not (site.articles / "api").exists()
    assert TOKEN not in api.output()


def test_a_post_reaches_a_subscriber(api, site: Site):
    subscribers = Subscribers()
    server = serve(subscribers)
    try:
        form = {
            "hub.mode": "subscribe",
            "hub.callback": subscribers.url("ok", "desk"),
            "hub.topic": site.url + "feeds/main.rss",
        }
        assert httpx.post(site.url + "websub", data=form).status_code == 202
        wait_until(lambda: subscribers.verified("/ok/desk"), 5, what="verification")
        wait_until(lambda: "websub_subscribers 1.0" in api.get("/metrics").text, 5)
        assert post(site, ARTICLE).status_code == 201

        def pushed() -> list:
            # The start-up build's own announcement may reach a subscriber that came just
            # before it was made (the feed as it was, before the post): the post's comes next.
            bodies = [d.body.decode() for d in subscribers.received("/ok/desk")]
            return [body for body in bodies if "Река вышла из берегов" in body]

        wait_until(pushed, 5, what="the push of the posted article")
    finally:
        server.shutdown()


def test_an_article_near_the_limit_is_stored_compact_and_one_over_is_413(api, site: Site):
    filler = "Длинный текст. " * 30_000  # 450,000 characters, 810 KB as UTF-8
    big = {"id": "big", "title": "Большой материал", "body_html": f"<p>{filler}</p>"}
    response = post(site, json.dumps(big, indent=4, ensure_ascii=False).encode())
    assert response.status_code == 201 and response.json()["published"], response.text
    stored = site.articles / "api" / "big.json"
    assert stored.stat().st_size < 820_000 and json.loads(stored.read_text())["id"] == "big"
    over = {**big, "id": "over", "body_html": f"<p>{filler * 2}</p>"}
    response = post(site, json.dumps(over, ensure_ascii=False).encode())
    assert response.status_code == 413 and "max_file_size" in response.json()["error"]
    assert not (site.articles / "api" / "over.json").exists()


def test_ids_have_one_normal_form(api, site: Site):
    body = {"title": "Мост открыт", "body_html": "<p>Открыт.</p>"}
    assert post(site, {**body, "id": "  most-1  "}).json()["id"] == "most-1"
    assert post(site, {**body, "id": "most-1"}).status_code == 200, "the same article"
    for bad in ("nul\u0000byte", "two  spaces", "line\nbreak", "\u202eevil", "x" * 201):
        response = post(site, {**body, "id": bad})
        assert (response.status_code, response.json()["field"]) == (422, "id"), bad
    assert delete(site, "%20most-1%20").status_code == 200
    assert "Мост открыт" not in api.get("/feeds/main.rss").text


def test_an_id_of_slashes_gets_a_short_file_name(api, site: Site):
    response = post(site, {"id": "/" * 90, "title": "Косая черта", "body_html": "<p>x</p>"})
    assert response.status_code == 201, response.text
    (stored,) = (site.articles / "api").iterdir()
    assert len(stored.name.encode()) <= 240 and stored.name.startswith("%2F%2F")
    assert "Косая черта" in api.get("/feeds/main.rss").text
    assert delete(site, "%2F" * 90).status_code == 200


def test_deep_json_is_422_not_500(api, site: Site):
    deep = b'{"id": "deep", "title": "x", "body_html": "y", "image": ' + b"[" * 100_000
    response = post(site, deep + b"]" * 100_000 + b"}")
    assert response.status_code == 422 and "nested" in response.json()["error"]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [({"draft": True}, "draft"), ({"published": "2999-01-01T00:00:00Z"}, "in the future")],
)
def test_an_article_not_published_is_not_201(api, site: Site, extra, reason):
    response = post(site, {"id": "held", "title": "Пока нет", "body_html": "<p>x</p>", **extra})
    assert response.status_code == 409, response.text
    assert response.json()["published"] is False and reason in response.json()["error"]
    assert "Пока нет" not in api.get("/feeds/main.rss").text


def test_the_api_cannot_take_another_storys_guid_or_id(api, site: Site):
    """A GUID read from the public feed, or a newsroom file's own id, posted as an API
    article's id: 409 naming the owner, and the genuine story stays as it was."""
    site.write("local.md", md("Мост открыт после ремонта", id="'bridge-2026'"))
    site.write("plain.md", md("Harbour Lights Restored"))
    assert post(site, ARTICLE).status_code == 201  # its build takes the files in too
    guids = {e.title: e.id for e in feedparser.parse(api.get("/feeds/main.rss").content).entries}
    for stolen in (guids["Harbour Lights Restored"], "bridge-2026"):
        fake = {"id": stolen, "title": "Fake (FAKE)", "body_html": "<p>Forged.</p>"}
        response = post(site, fake)
        assert response.status_code == 409, response.text
        assert response.json()["field"] == "id"
        assert "store 'files'" in response.json()["error"]
        assert delete(site, stolen).status_code == 409
        assert ("plain.md" if stolen.startswith("urn:") else "local.md") in response.text
    assert [p.name for p in (site.articles / "api").iterdir()] == ["2026-11-28-river.json"]
    after = {e.title: e.id for e in feedparser.parse(api.get("/feeds/main.rss").content).entries}
    assert after == guids, "the genuine stories keep their GUIDs and titles"


def test_a_huge_integer_is_422_naming_the_field_not_500(api, site: Site):
    body = json.dumps({**ARTICLE, "id": "huge"})[:-1] + ', "episode": ' + "9" * 5000 + "}"
    response = post(site, body.encode())
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "episode"


def take_down(site: Site, body, token: str = TOKEN) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return httpx.post(site.url + "api/takedowns", content=content, headers=headers, timeout=30)


def test_a_takedown_over_the_api_is_out_of_every_feed_when_the_answer_comes(api, site: Site):
    """What `feedsvc takedown` does, from a newsroom's own tools, without a command's start."""
    site.write("ferry.md", md("Паром задержан штормом", categories="['Транспорт']"))
    posted = post(site, ARTICLE).json()  # (the build it makes reads ferry.md too)
    assert "Паром задержан" in api.get("/feeds/category/транспорт.rss").text

    response = take_down(site, {"ref": "ferry.md", "reason": "суд, дело 12/26"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["published"] and answer["articles"][0]["done"] == "taken down"
    assert answer["articles"][0]["key"] == "ferry.md"
    for path in ("/feeds/main.rss", "/feeds/main.atom", "/feeds/category/транспорт.rss"):
        assert "Паром задержан" not in api.get(path).text, path
    listed = feedsvc_list(site)
    assert answer["articles"][0]["guid"] in listed and "суд, дело 12/26" in listed

    by_guid = take_down(site, {"ref": posted["guid"]})  # a GUID names it too
    assert by_guid.json()["articles"][0]["done"] == "taken down"
    assert "Река вышла" not in api.get("/feeds/main.rss").text
    again = take_down(site, {"ref": "ferry.md"}).json()["articles"][0]["done"]
    assert again == "still taken down"

    undone = take_down(site, {"ref": "ferry.md", "undo": True})
    assert undone.status_code == 200 and undone.json()["articles"][0]["done"] == "published again"
    assert "Паром задержан" in api.get("/feeds/category/транспорт.rss").text
    assert "Река вышла" not in api.get("/feeds/main.rss").text


def feedsvc_list(site: Site) -> str:
    listed = feedsvc("--config", str(site.config), "takedown", "--list")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"ref": "nobody.md"}, 404, "ref"),
        ({"reason": "no reference"}, 422, "ref"),
        ({"ref": "old.md", "undo": "yes"}, 422, "undo"),
        ({"ref": "old.md", "reason": "two\nlines"}, 422, "reason"),
        ({"ref": "old.md", "reason": "x" * 1001}, 422, "reason"),
        ({"ref": "old.md", "why": "a typo"}, 422, "why"),
        ({"ref": "x" * 2001}, 422, "ref"),
        (b"[1, 2]", 422, None),
        (b'{"ref": ', 422, None),
        (b'{"ref": "' + b"x" * 17_000 + b'"}', 413, None),
    ],
)
def test_a_bad_takedown_is_refused_naming_the_field_and_takes_nothing_down(
    api, site: Site, body, status, field
):
    response = take_down(site, body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field and response.json()["error"]
    assert "Ratusha clock repaired" in api.get("/feeds/main.rss").text
    assert feedsvc_list(site) == ""


def test_a_takedown_without_the_token_is_401_and_takes_nothing_down(api, site: Site):
    assert take_down(site, {"ref": "old.md"}, token="wrong").status_code == 401
    no_header = httpx.post(site.url + "api/takedowns", json={"ref": "old.md"}, timeout=30)
    assert no_header.status_code == 401
    assert "Ratusha clock repaired" in api.get("/feeds/main.rss").text
