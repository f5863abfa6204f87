"""The server under hostile clients, on raw sockets to 127.0.0.1, bounded in count and time.

Each attack runs for a few seconds while a well-behaved reader polls the feed:
the reader is answered 200 every time, the attack is refused with the status
the limit names, and the server's memory and sockets stay bounded. (How fast the
reader is answered is a figure, measured by bench/hostile_http.py.)
"""

import resource
import time

import attacks
import httpx
import pytest
from conftest import Site, md, wait_until

LIMITS = """rate_limit = 0
header_timeout = 1
body_timeout = 1.5
keep_alive = 1
max_connections = 200
"""
MEMORY_KIB = 60 * 1024  # what an attack may add to the server's resident memory


@pytest.fixture
def server(site: Site, start_server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    site.configure(server=LIMITS, extra="[api]\ntoken = 'hostile-http-test'\n")
    site.write("a.md", md("Городской парк открылся после реконструкции"))
    started = start_server("run")
    wait_until(lambda: started.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    return started


def assert_held(server, under: attacks.Under) -> None:
    assert under.timings.failures == [], under.timings.failures[:5]
    assert len(under.timings.seconds) >= 10, "the reader was answered all along"
    grown = under.rss_peak_kib - under.rss_before_kib
    assert grown < MEMORY_KIB, f"the server grew by {grown} KiB"
    assert server.process.poll() is None


def test_a_head_over_the_limit_is_431_and_holds_nothing(server, site: Site):
    with attacks.connect(site.port) as sock:
        sock.sendall(b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\n" + b"X-a: " + b"b" * 20_000)
        assert attacks.answer_of(sock).startswith(b"HTTP/1.1 431 ")
    under = attacks.under_attack(site.port, server.process.pid, attacks.huge_headers, 3)
    assert_held(server, under)


def test_a_head_that_never_ends_is_408_after_the_header_timeout(server, site: Site):
    with attacks.connect(site.port) as sock:
        begun = time.monotonic()
        sock.sendall(b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\n")
        assert attacks.answer_of(sock).startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - begun < 5
    with attacks.connect(site.port) as silent:  # connects and never says a word
        assert attacks.answer_of(silent).startswith(b"HTTP/1.1 408 ")
    under = attacks.under_attack(site.port, server.process.pid, attacks.slow_headers, 3)
    assert_held(server, under)
    assert under.sockets_peak <= 200 + 20


def test_an_idle_keep_alive_connection_is_closed(server, site: Site):
    with attacks.connect(site.port) as sock:
        sock.sendall(b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        assert sock.recv(65_536).startswith(b"HTTP/1.1 200 ")
        begun = time.monotonic()
        assert attacks.answer_of(sock) == b"", "closed without another word"
        assert time.monotonic() - begun < 5


def test_a_body_that_never_ends_is_cut_after_the_body_timeout(server, site: Site):
    with attacks.connect(site.port) as sock:
        sock.sendall(b"POST /websub HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nhub.mode")
        begun = time.monotonic()
        assert attacks.answer_of(sock).startswith(b"HTTP/1.1 408 "), "as documented"
        assert time.monotonic() - begun < 5
    under = attacks.under_attack(site.port, server.process.pid, attacks.slow_bodies, 3)
    assert_held(server, under)
    assert "Traceback" not in server.output() and " ERROR " not in server.output()
    assert "went away before sending its body" in server.output()


def test_a_connection_flood_closes_the_longest_idle_not_the_reader(server, site: Site):
    under = attacks.under_attack(site.port, server.process.pid, attacks.idle_flood, 3)
    assert_held(server, under)
    assert under.sockets_peak <= 200 + 20


@pytest.mark.parametrize("path", ["/websub", "/api/articles"])
def test_a_huge_body_is_413_after_the_limit_not_held(server, site: Site, path):
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hostile-http-test\r\n"
    with attacks.connect(site.port) as sock:  # declared: refused before a byte of it
        sock.sendall(head.encode() + b"Content-Length: 536870912\r\n\r\n")
        assert attacks.answer_of(sock).startswith(b"HTTP/1.1 413 ")
    under = attacks.under_attack(site.port, server.process.pid, attacks.huge_bodies, 4)
    assert_held(server, under)


def test_the_reader_is_answered_after_every_attack(server, site: Site):
    for attack in (attacks.huge_headers, attacks.slow_headers, attacks.idle_flood):
        attacks.under_attack(site.port, server.process.pid, attack, 1)
    assert httpx.get(site.url + "feeds/main.rss", timeout=5).status_code == 200


def test_made_up_paths_do_not_grow_the_metrics(server, site: Site):
    with httpx.Client(base_url=site.url, timeout=10) as client:
        client.get("/feeds/main.rss")
        for number in range(1500):
            method = "POST" if number % 2 else "GET"
            client.request(method, f"/feeds/made-up-{number}.rss")
        time.sleep(1.5)  # the tally reaches the counters every second
        text = client.get("/metrics").text
    assert "made-up" not in text
    assert 'feed="feeds/main.rss"' in text and 'status="405"' in text
    assert len(text) < 64_000


@pytest.mark.parametrize("path", ["/api/articles", "/websub"])
def test_a_client_gone_halfway_through_its_body_is_one_info_line(server, site: Site, path: str):
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9000\r\n"
        "Authorization: Bearer hostile-http-test\r\nContent-Type: application/json\r\n\r\n"
    )
    with attacks.connect(site.port) as sock:
        sock.sendall(head.encode() + b'{"title": "' + b"x" * 1000)
    said = f"POST {path}: the client went away before sending its body"
    wait_until(lambda: said in server.output(), 5, what="the line about it")
    line = next(line for line in server.output().splitlines() if said in line)
    assert " INFO " in line
    assert "Traceback" not in server.output() and " ERROR " not in server.output()
    assert httpx.get(site.url + "feeds/main.rss", timeout=5).status_code == 200


@pytest.fixture
def patient_server(site: Site, start_server):
    """The default body timeout (60 s): a slow body is cut by its rate, or gives way."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    site.configure(server=LIMITS.replace("body_timeout = 1.5", "body_timeout = 60"))
    site.write("a.md", md("Городской парк открылся после реконструкции"))
    started = start_server("run")
    wait_until(lambda: started.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    return started


def test_slow_bodies_past_the_cap_give_way_to_readers(patient_server, site: Site):
    """400 bodies promised and sent a byte every half second, against 200 connections:
    a body in progress was never evicted, so they held every place for the body
    timeout and readers were refused. Now the slowest request gives way to a new
    connection, and a body under the minimum rate is cut with 408."""

    def slow_bodies(port, stop):
        attacks.slow_bodies(port, stop, count=400)

    under = attacks.under_attack(site.port, patient_server.process.pid, slow_bodies, 4)
    assert_held(patient_server, under)
    with attacks.connect(site.port, timeout=15) as sock:
        sock.sendall(b"POST /websub HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\nhub")
        begun = time.monotonic()
        assert attacks.answer_of(sock).startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - begun < 12, "cut by its rate, long before the timeout"


def test_pipelined_requests_over_the_head_limit_in_one_read_are_all_answered(server, site: Site):
    """200 polls pipelined in one write (120 KB, read in chunks past the 16 KB a head
    may take): each is its own head, so each is answered and the connection stays open
    for more (it was cut with 431, the heads of a read counted together)."""
    agent = b"pipelining-test/1.0 " + b"x" * 500
    request = b"GET /feeds/main.rss HTTP/1.1\r\nHost: x\r\nUser-Agent: " + agent + b"\r\n\r\n"
    with attacks.connect(site.port) as sock:
        sock.sendall(request * 200)
        got = b""
        while got.count(b"HTTP/1.1 200 ") < 200 and (chunk := sock.recv(2**20)):
            got += chunk
        assert got.count(b"HTTP/1.1 200 ") == 200 and b" 431 " not in got
        sock.sendall(request.replace(b"Host: x", b"Host: x\r\nConnection: close"))
        assert attacks.answer_of(sock).startswith(b"HTTP/1.1 200 "), "still open"
