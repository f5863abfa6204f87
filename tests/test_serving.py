"""The feed fast lane as pollers meet it: hub links, methods, paths that try to escape,
brotli, rate limits, the access log and /metrics."""

import http.client
import json
import re

import brotli
import pytest
from conftest import Site, md, wait_until

from feedsvc.api import open_site


def raw(site: Site, method: str, target: str, **headers) -> http.client.HTTPResponse:
    """A request sent exactly as written (httpx would tidy `..` and `%2e` away)."""
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    connection.request(method, target, headers=headers)
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


@pytest.fixture
def running(site: Site, start_server):
    site.configure(server="rate_limit = 3\nrate_window = 60\nbrotli = true")
    site.write("a.md", md("Паром снова ходит", "Паромная переправа открыта после ремонта."))
    site.write("b.md", md("Harbour fair returns", "Stalls line the quay again."))
    assert site.build().ok
    return start_server("serve")


def test_every_feed_response_names_its_hub_and_itself(running, site: Site):
    for path in ("/feeds/main.rss", "/feeds/main.atom", "/feeds/main.json"):
        response = running.get(path)
        links = response.headers["link"]
        assert f'<{site.url}websub>; rel="hub"' in links
        assert f'<{site.url}{path.lstrip("/")}>; rel="self"' in links
    rss = running.get("/feeds/main.rss").text
    assert f'<atom:link href="{site.url}websub" rel="hub"/>' in rss
    assert f'href="{site.url}websub" rel="hub"' in running.get("/feeds/main.atom").text
    assert running.get("/feeds/main.json").json()["hubs"] == [
        {"type": "WebSub", "url": f"{site.url}websub"}
    ]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_allow(running, site: Site, method):
    response = raw(site, method, "/feeds/main.rss")
    assert response.status == 405
    assert response.getheader("allow") == "GET, HEAD, OPTIONS"


def test_head_has_the_headers_and_no_body(running, site: Site):
    got = raw(site, "GET", "/feeds/main.rss", **{"Accept-Encoding": "gzip"})
    head = raw(site, "HEAD", "/feeds/main.rss", **{"Accept-Encoding": "gzip"})
    assert head.status == 200 and head.body == b""
    assert head.getheader("etag") == got.getheader("etag")
    assert head.getheader("content-length") == str(len(got.body))


@pytest.mark.parametrize(
    "target",
    [
        "/feeds/../config.toml",
        "/feeds/%2e%2e/config.toml",
        "/feeds/%2E%2E/%2e%2e/site/config.toml",
        "/feeds/..%2fconfig.toml",
        "/feeds//etc/passwd",
        "/feeds/%2Fetc%2Fpasswd",
        "/feeds/main.rss%00.html",
        "/feeds/.feedsvc-build.lock",
        "/feeds/nothing-here.rss",
        "/feeds/main.rss.gz",
    ],
)
def test_no_path_leaves_the_published_feeds(running, site: Site, target):
    (site.root / "public" / "secret.rss").write_text("not a feed")
    response = raw(site, "GET", target)
    assert response.status == 404, target
    assert b"[site]" not in response.body and b"root:" not in response.body


def test_brotli_when_asked_and_the_same_bytes_as_the_file(running, site: Site):
    response = raw(site, "GET", "/feeds/main.rss", **{"Accept-Encoding": "gzip, br"})
    assert response.getheader("content-encoding") == "br"
    file = site.root / "public" / "feeds" / "main.rss"
    assert brotli.decompress(response.body) == file.read_bytes()
    assert response.body == file.with_name("main.rss.br").read_bytes(), "the build's own copy"
    etag = response.getheader("etag")
    assert etag.endswith('-br"')
    again = raw(site, "GET", "/feeds/main.rss", **{"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status == 304


def test_full_fetches_are_limited_and_304s_count_a_tenth(running, site: Site):
    """A 304 costs a tenth of a full fetch: a poller asking each minute is never near
    the limit, and a flood of conditional polls (never limited before) is."""
    first = running.get("/feeds/main.atom")
    etag = first.headers["etag"]
    for _ in range(9):  # a well-behaved poller
        assert running.get("/feeds/main.atom", headers={"If-None-Match": etag}).status_code == 304
    codes = [running.get("/feeds/main.atom").status_code for _ in range(3)]
    assert codes == [200, 429, 429]  # limit 3 a minute: 1 + 0.9 spent, one more full

    refused = running.get("/feeds/main.atom")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 20
    assert running.get("/feeds/main.rss").status_code == 200, "each file has its own allowance"
    json_tag = running.get("/feeds/main.json").headers["etag"]
    flood = [
        running.get("/feeds/main.json", headers={"If-None-Match": json_tag}).status_code
        for _ in range(40)
    ]
    assert flood[:19] == [304] * 19 and 429 in flood, "a flood of 304s is limited too"


def test_forwarded_for_counts_only_from_a_trusted_proxy(site: Site, start_server):
    site.configure(server="rate_limit = 1\ntrusted_proxies = ['127.0.0.1']")
    site.write("a.md", md("Tram line extended"))
    assert site.build().ok
    server = start_server("serve")

    def fetch(client: str) -> int:
        return server.get("/feeds/main.rss", headers={"X-Forwarded-For": client}).status_code

    assert [fetch("203.0.113.5"), fetch("203.0.113.5"), fetch("203.0.113.9")] == [200, 429, 200]
    # A client's own X-Forwarded-For before the proxy's hop is not believed over the hop.
    assert fetch("198.51.100.1, 203.0.113.9") == 429


def test_forwarded_for_is_ignored_without_trusted_proxies(running):
    codes = [
        running.get("/feeds/main.json", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429], "one client, whatever it claims"


def test_each_request_is_one_json_line_in_the_access_log(running):
    running.get("/feeds/main.rss", headers={"User-Agent": "NewsReader/2.0 (+https://r.example)"})
    running.get("/feeds/missing.rss", headers={"User-Agent": "Flood/1.0 " + "x" * 16_000})

    def logged() -> list[dict]:
        lines = [json.loads(line) for line in running.output().splitlines() if line.startswith("{")]
        return lines if len(lines) >= 2 else []

    entries = wait_until(logged, 5, what="access log lines")
    hit = next(e for e in entries if e["path"] == "/feeds/main.rss")
    assert hit["status"] == 200 and hit["client"] == "127.0.0.1"
    assert hit["agent"] == "NewsReader/2.0 (+https://r.example)"
    assert hit["bytes"] > 0 and hit["ms"] >= 0 and re.match(r"\d{4}-\d\d-\d\dT", hit["time"])
    (missing,) = [e for e in entries if e["path"] == "/feeds/missing.rss"]
    assert missing["status"] == 404
    assert missing["agent"] == "Flood/1.0 " + "x" * 190, "a User-Agent's first 200 characters"


def metric(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{wanted}}}" if labels else "")) + r" (\S+)"
    found = re.search(r"^" + pattern + "$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_requests_bytes_304s_and_limits(running):
    first = running.get("/feeds/main.rss")
    etag = first.headers["etag"]
    for _ in range(3):
        running.get("/feeds/main.rss", headers={"If-None-Match": etag})
    for _ in range(4):
        running.get("/feeds/latest.rss")  # the fourth is over the limit
    text = running.get("/metrics").text
    assert metric(text, "feedsvc_http_requests_total", feed="feeds/main.rss", status="304") == 3
    assert metric(text, "feedsvc_http_requests_total", feed="feeds/latest.rss", status="429") == 1
    assert metric(text, "feedsvc_http_rate_limited_total", feed="feeds/latest.rss") == 1
    sent = int(first.headers["content-length"])  # the one full fetch: 304s send no body
    assert metric(text, "feedsvc_http_sent_bytes_total", feed="feeds/main.rss") == sent
    assert metric(text, "feedsvc_http_not_modified_share") == pytest.approx(3 / 8)
    assert "feedsvc_websub_subscribers 0.0" in text


def test_what_another_process_published_is_served_from_the_next_request(site: Site, start_server):
    """What a build or a takedown command answers is what readers get from then on: the
    server holds main.rss from the first poll, and must not serve it again once replaced."""
    site.write("a.md", md("Паром снова ходит", "Паромная переправа открыта после ремонта."))
    assert site.build().ok
    server = start_server("serve")
    before = server.get("/feeds/main.rss")
    site.write("c.md", md("Ferry timetable changes", "Winter times start Monday."))
    assert site.build().ok  # another process: the server learns of it by the marker
    after = server.get("/feeds/main.rss", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and "Ferry timetable changes" in after.text
    for attempt in range(6):  # taken down, back, down...: a stale answer shows in one
        undo = attempt % 2 == 1
        found, report = open_site(site.config).takedown("c.md", undo=undo)
        assert found and report is not None and report.ok
        poll = {"If-None-Match": after.headers["etag"]}
        after = server.get("/feeds/main.rss", headers=poll)
        assert after.status_code == 200, f"attempt {attempt}: the old feed is still served"
        assert ("Ferry timetable changes" in after.text) is undo, f"attempt {attempt}"


def exchange(site: Site, raw_requests: bytes, expect: int) -> list[int]:
    """Send bytes as they are on one connection; the statuses of the first `expect` answers,
    read one after another by their Content-Length."""
    import socket

    statuses: list[int] = []
    data = b""
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(raw_requests)
        while len(statuses) < expect:
            head, found, rest = data.partition(b"\r\n\r\n")
            length = re.search(rb"content-length: (\d+)", head, re.I) if found else None
            status = int(head.split(b" ", 2)[1]) if found else 0
            size = int(length.group(1)) if length and status != 304 else 0
            if found and len(rest) >= size:
                statuses.append(status)
                data = rest[size:]
                continue
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {statuses}"
            data += chunk
    return statuses


def test_pipelined_requests_are_answered_in_order(running, site: Site):
    get = b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\n\r\n"
    missing = b"GET /feeds/none.rss HTTP/1.1\r\nHost: x\r\n\r\n"
    health = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"  # through the ASGI app
    assert exchange(site, get + health + missing + get, 4) == [200, 200, 404, 200]
    atom, json_feed = (get.replace(b"main.rss", name) for name in (b"main.atom", b"main.json"))
    assert exchange(site, health + atom + json_feed + health, 4) == [200, 200, 200, 200]


def test_http_1_0_and_connection_close_are_honoured(running, site: Site):
    import socket

    for request in (
        b"GET /feeds/main.rss HTTP/1.0\r\n\r\n",
        b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(65536):  # ends only when the server closes
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert len(body) == int(re.search(rb"content-length: (\d+)", head).group(1))
