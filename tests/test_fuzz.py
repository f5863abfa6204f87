"""The fuzz harness: any record, file or API body either goes in, and every feed still
passes its check, or is refused with a message naming what is wrong; never a crash,
never a frozen feed.

Bounded here (FEEDSVC_FUZZ_SCALE multiplies the examples and seconds; docs/development.md says
how the long run was made): hypothesis over every field's type and range, for the
record builder, for whole builds and for the ingest API; atheris over the files
store's parsers (tests/fuzz_parsers.py).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from conftest import Site
from fuzz_fields import records
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_hostile_store import new_site
from test_ingest import api, delete, post  # noqa: F401 (api: the fixture)

from feedsvc.core.model import SourceArticle
from feedsvc.store import RecordError
from feedsvc.store.record import (
    BODY_FIELDS,
    FIELDS,
    FIRST_YEAR,
    LAST_YEAR,
    LENGTHS,
    SiteContext,
    build,
)

SCALE = float(os.environ.get("FEEDSVC_FUZZ_SCALE", "1"))
SITE = SiteContext("https://news.example/{slug}/", ZoneInfo("Asia/Almaty"), 300)
NAMED = re.compile(r"^(unknown field '|give exactly one of body_html|(\w+)(\[\d+\])?(\.\w+)?: )")
HERE = Path(__file__).parent


def _examples(count: int) -> int:
    return max(1, int(count * SCALE))


def _refusal_names_a_field(reason: str) -> bool:
    found = NAMED.match(reason)
    if found is None:
        return False
    field = found.group(2)
    return field is None or field in FIELDS | BODY_FIELDS | {"body"}


def _article(fields: dict) -> SourceArticle | None:
    """The article the record makes, or None when it is refused (by a field's name)."""
    try:
        return build(fields, store="fuzz", key="k", origin="o", site=SITE, allow_body_fields=True)
    except RecordError as refused:
        assert _refusal_names_a_field(refused.reason), refused.reason
        return None


@settings(max_examples=_examples(600), deadline=None)
@given(records())
def test_any_record_is_an_article_within_the_limits_or_a_refusal_naming_its_field(fields):
    article = _article(fields)
    event("refused" if article is None else "taken")
    if article is None:
        return
    assert 0 < len(article.title) <= LENGTHS["title"]
    assert "\u202e" not in article.title and "\x00" not in article.title
    for when in (article.published, article.updated):
        assert when is None or FIRST_YEAR <= when.year <= LAST_YEAR
    if article.image is not None:
        assert article.image.url.startswith(("http://", "https://"))
    for media in article.media:
        assert media.url.startswith(("http://", "https://")) and "/" in media.type


def _stored(fields: dict) -> SourceArticle | None:
    """The article a record makes once written to a JSON file and read back: a number
    of over 30 digits is no field's value (the store reads it as no number nor text)."""
    if any(_too_long(value) for value in fields.values()):
        return None
    return _article(json.loads(json.dumps(fields, default=str)))


def _too_long(value: object) -> bool:
    if isinstance(value, dict):
        return any(map(_too_long, value.values()))
    if isinstance(value, list | tuple):
        return any(map(_too_long, value))
    return isinstance(value, int) and len(str(abs(value))) > 30


def _visible(article: SourceArticle | None, now: datetime) -> bool:
    return article is not None and not article.draft and (article.published or now) <= now


@settings(max_examples=_examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=6))
def test_any_records_in_a_store_go_in_or_are_refused_and_every_feed_passes(batch):
    """Every record the builder takes and may show now is in the main feed; every other
    is reported on its line; every document passes the strict check and round trips."""
    with tempfile.TemporaryDirectory() as folder:
        site = new_site(Path(folder))
        site.write("export.ndjson", "".join(json.dumps(r, default=str) + "\n" for r in batch))
        now = datetime.now(UTC)
        made = [_stored(r) for r in batch]
        report = site.build()  # the strict check, round trip and second parsers, every feed
        assert report.ok, report.failures
        # An id claimed by two records keeps both out (reported); drafts claim theirs too.
        claims = Counter(a.explicit_id for a in made if a is not None and a.explicit_id)
        shown = [
            a
            for a in made
            if _visible(a, now) and (not a.explicit_id or claims[a.explicit_id] == 1)
        ]
        event(f"{len(shown)} of {len(made)} records shown")
        main = json.loads((site.feeds / "main.json").read_text(encoding="utf-8"))
        assert len(main["items"]) == len(shown)
        assert len(report.problems) >= sum(a is None for a in made)


@settings(
    max_examples=_examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.lists(records(), min_size=1, max_size=3), st.text(min_size=1, max_size=30))
def test_any_bodies_posted_to_the_api_are_published_or_refused_naming_why(
    api,  # noqa: F811 (the fixture)
    site: Site,
    versions: list[dict],
    article_id: str,
):
    """One article posted in one to three versions (edits: dates and drafts come and go),
    then deleted, so that each example starts from the same site."""
    try:
        for fields in versions:
            answer = post(site, json.dumps({**fields, "id": article_id}, default=str).encode())
            assert answer.status_code in (200, 201, 409, 413, 422), answer.text
            said = answer.json()
            if answer.status_code in (200, 201):
                assert said["published"] and said["guid"]
                published = (site.feeds / "main.json").read_text(encoding="utf-8")
                assert json.dumps(said["guid"], ensure_ascii=False)[1:-1] in published
            elif answer.status_code == 409:
                assert not said["published"], said
                assert said["error"].startswith(("draft", "published:")), said["error"]
            else:
                assert said["error"]
    finally:
        gone = delete(site, quote(article_id, safe=""))
        assert gone.status_code in (200, 204, 404, 422), gone.text


def test_atheris_finds_no_crash_in_the_store_parsers(tmp_path: Path):
    """Coverage-guided fuzzing of every file format, seeded with the sample articles."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    formats = ["html", "json", "markdown", "ndjson", "text"]  # fuzz_parsers' order: sorted
    samples = sorted(p for p in (HERE.parent / "feedsvc/sample/articles").rglob("*") if p.is_file())
    for number, sample in enumerate(samples):
        kind = formats.index("markdown" if sample.suffix == ".md" else "text")
        (corpus / f"sample-{number}").write_bytes(bytes([kind]) + sample.read_bytes())
    record = json.dumps({"title": "Мост", "published": "2026-01-01", "image": "/a.jpg"})
    (corpus / "json").write_bytes(bytes([formats.index("json")]) + record.encode())
    seconds = max(5, int(30 * SCALE))
    done = subprocess.run(
        [sys.executable, str(HERE / "fuzz_parsers.py"), f"-max_total_time={seconds}",
         "-rss_limit_mb=4096", "-max_len=16384", f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=seconds + 120,
    )  # fmt: skip
    runs = re.search(r"Done (\d+) runs", done.stderr)
    assert done.returncode == 0 and runs, done.stderr[-3000:]
    assert int(runs.group(1)) > 1000
