"""What readers expect of a feed's answer beyond its bytes: CORS (and a preflight) for
browser-based readers, X-Robots-Tag on feed documents, Feedly's webfeeds: elements.
Checked through feedsvc's own server, deploy/nginx.conf on a real nginx, a real
SeaweedFS bucket, and a headless Chromium page on another origin."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from conftest import Site, feedsvc, md
from lxml import etree
from test_deploy import front  # noqa: F401 (a fixture)
from test_uploads import local_and, s3_target, seaweed  # noqa: F401 (a fixture)

PREFLIGHT = {
    "Origin": "http://reader.example",
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "if-none-match",
}


def assert_conventions(base: str) -> None:
    """Every feed readable from any origin, with its validators; robots kept off feeds."""
    for path in ("feeds/main.rss", "feeds/main.atom", "feeds/main.json"):
        answer = httpx.get(base + path, headers={"Origin": "http://reader.example"})
        assert answer.status_code == 200, path
        assert answer.headers["access-control-allow-origin"] == "*"
        exposed = {
            h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")
        }
        assert {"etag", "last-modified", "link"} <= exposed
        assert answer.headers["x-robots-tag"] == "noindex"
        again = httpx.get(base + path, headers={"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304 and again.headers["access-control-allow-origin"] == "*"
    for page in ("", "feeds/main.html"):
        answer = httpx.get(base + page)
        assert answer.status_code == 200 and "x-robots-tag" not in answer.headers, page
    asked = httpx.options(base + "feeds/main.atom", headers=PREFLIGHT)
    assert asked.status_code == 204
    assert asked.headers["access-control-allow-origin"] == "*"
    assert "GET" in asked.headers["access-control-allow-methods"]
    assert "if-none-match" in asked.headers["access-control-allow-headers"].lower()


@pytest.fixture
def served(site: Site, start_server):
    site.configure()
    site.config.write_text(
        site.config.read_text().replace(
            "[site]\n",
            '[site]\nlogo = "https://example.org/logo.svg"\nicon = "https://example.org/icon.png"\n'
            'cover = "https://example.org/cover.jpg"\naccent_color = "C0392B"\nrelated = "card"\n',
        )
    )
    site.write("a.md", md("Морской порт расширят", "Порт получит новый причал."))
    assert site.build().ok
    return start_server("serve")


def test_the_server_sends_cors_robots_and_answers_a_preflight(served):
    assert_conventions(served.url)
    missing = httpx.get(served.url + "feeds/nothing.rss")
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "*"


def test_deploy_nginx_sends_the_same_headers(front):  # noqa: F811
    assert_conventions(front.url)


def test_feedly_webfeeds_elements_in_rss_and_atom(served, site: Site):
    webfeeds = "{http://webfeeds.org/rss/1.0}"
    rss = etree.fromstring((site.feeds / "main.rss").read_bytes()).find("channel")
    atom = etree.fromstring((site.feeds / "main.atom").read_bytes())
    for parent in (rss, atom):
        assert parent.findtext(webfeeds + "logo") == "https://example.org/logo.svg"
        assert parent.findtext(webfeeds + "icon") == "https://example.org/icon.png"
        assert parent.find(webfeeds + "cover").get("image") == "https://example.org/cover.jpg"
        assert parent.findtext(webfeeds + "accentColor") == "C0392B"
        assert parent.find(webfeeds + "related").attrib == {"layout": "card", "target": "browser"}


class _ReaderPage(BaseHTTPRequestHandler):
    """A browser-based reader's page, on an origin of its own."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>reader</title><p>a reader</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_page_on_another_origin_polls_a_feed_conditionally(served, browser):
    reader = ThreadingHTTPServer(("127.0.0.1", 0), _ReaderPage)
    threading.Thread(target=reader.serve_forever, daemon=True).start()
    try:
        tab = browser.new_context().new_page()
        tab.goto(f"http://127.0.0.1:{reader.server_address[1]}/")
        polled = tab.evaluate(
            """async (url) => {
                const first = await fetch(url, {cache: "no-store"});
                const tag = first.headers.get("ETag");
                const text = await first.text();
                const again = await fetch(url, {cache: "no-store",
                                                headers: {"If-None-Match": tag}});
                return {status: first.status, tag, link: first.headers.get("Link"),
                        modified: first.headers.get("Last-Modified"),
                        hasTitle: text.includes("Морской порт расширят"),
                        againStatus: again.status};
            }""",
            f"{served.url}feeds/main.json",
        )
    finally:
        reader.shutdown()
        reader.server_close()
    assert polled["status"] == 200 and polled["hasTitle"]
    assert polled["tag"] and polled["tag"].startswith('"')
    assert polled["modified"] and 'rel="self"' in polled["link"]
    assert polled["againStatus"] == 304


def test_an_s3_bucket_is_given_a_rule_letting_any_origin_read(site: Site, seaweed):  # noqa: F811
    client = seaweed.client()
    client.create_bucket(Bucket="feeds-cors")
    theirs = {"AllowedOrigins": ["https://cms.example.org"], "AllowedMethods": ["PUT"]}
    client.put_bucket_cors(Bucket="feeds-cors", CORSConfiguration={"CORSRules": [theirs]})
    site.configure(extra=local_and(s3_target(seaweed, "feeds-cors")))
    site.write("a.md", md("Ferry timetable changes"))
    env = {"S3_SECRET_FOR_TEST": seaweed.secret_key}
    assert feedsvc("--config", str(site.config), "build", env=env).returncode == 0
    rules = client.get_bucket_cors(Bucket="feeds-cors")["CORSRules"]
    assert any(rule["AllowedOrigins"] == ["https://cms.example.org"] for rule in rules)
    (ours,) = [rule for rule in rules if "*" in rule["AllowedOrigins"]]
    assert set(ours["AllowedMethods"]) == {"GET", "HEAD"}
    assert {"ETag", "Last-Modified", "Link"} <= set(ours["ExposeHeaders"])
