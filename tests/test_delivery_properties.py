"""Property tests for what the delivery code parses from strangers: Accept-Encoding,
X-Forwarded-For, article ids turned into file names, and the rate limiter's promise."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.core.layout import content_type
from feedsvc.web.conditional import accepts
from feedsvc.web.ingest import file_name
from feedsvc.web.ratelimit import ClientAddress, RateLimiter

header_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=80)


@given(header_text)
def test_any_accept_encoding_is_read_without_error(value):
    for coding in ("gzip", "br"):
        assert accepts(value, coding) in (True, False)


@given(st.sampled_from(["gzip", "br"]), st.sampled_from(["0", "0.0", "0.000"]), header_text)
def test_a_coding_refused_with_q0_is_never_chosen(coding, zero, rest):
    rest = rest.replace(coding, "")
    assert not accepts(f"{coding};q={zero}, {rest}", coding)


@given(st.lists(st.sampled_from(["gzip", "br", "deflate", "identity"]), min_size=1))
def test_a_listed_coding_is_accepted(codings):
    listed = ", ".join(codings)
    for coding in ("gzip", "br"):
        assert accepts(listed, coding) == (coding in codings)


addresses = st.ip_addresses().map(str)


@given(addresses, st.lists(st.one_of(addresses, header_text), max_size=6))
def test_the_client_behind_a_proxy_is_the_peer_or_a_named_hop(peer, hops):
    header = ", ".join(hops).encode("utf-8", "replace")
    trusted = ClientAddress(["127.0.0.1", "10.0.0.0/8"])
    found = trusted.of(peer, header)
    named = [hop.strip() for hop in header.decode("latin-1").split(",")]
    assert found == peer or found in named
    assert ClientAddress([]).of(peer, header) == peer, "no trusted proxy: the peer, always"


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=200))
def test_every_article_id_gets_its_own_safe_file_name(first, second):
    name = file_name(first)
    assert "/" not in name and "\0" not in name and not name.startswith(".")
    assert name.endswith(".json") and len(name.encode()) < 255 * 3
    assert content_type("feeds/" + name) in (None, "application/feed+json")
    if first != second:
        assert file_name(first) != file_name(second)


@settings(max_examples=50)
@given(
    st.integers(1, 20),
    st.floats(1, 600),
    st.lists(st.floats(0, 1200, allow_nan=False), min_size=1, max_size=200),
)
def test_no_client_gets_more_full_fetches_than_its_allowance(limit, window, times):
    limiter = RateLimiter(limit, window)
    times = sorted(times)
    allowed = [t for t in times if limiter.wait("203.0.113.7", "feeds/main.rss", t) == 0]
    span = times[-1] - times[0]
    assert len(allowed) <= limit + math.floor(span * limit / window) + 1e-9
    if len(times) <= limit:
        assert len(allowed) == len(times), "within the allowance nothing is refused"
