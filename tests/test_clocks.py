"""Time that only goes forward: what a build looks at does not depend on the clocks of
the processes (or replicas) that build agreeing. Each test here runs a real build
with its wall clock set back by libfaketime, as a machine whose clock is behind has it."""

from pathlib import Path

import feedparser
import pytest
from conftest import feedsvc

LIBFAKETIME = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"), Path("/nonexistent"))

pytestmark = pytest.mark.skipif(
    not LIBFAKETIME.exists(),
    reason="libfaketime is not installed (apt-get install faketime)",
)


def behind(seconds: int) -> dict[str, str]:
    """The environment of a process whose wall clock is `seconds` behind."""
    return {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"-{seconds}s", "FAKETIME_NO_CACHE": "1"}


def build(config: Path, env: dict[str, str] | None = None) -> None:
    result = feedsvc("--config", str(config), "build", env=env)
    assert result.returncode == 0, result.stderr


def sample(tmp_path: Path) -> Path:
    """`feedsvc init SITE --sample`, built once: the site's folder."""
    assert feedsvc("init", str(tmp_path / "site"), "--sample").returncode == 0
    build(tmp_path / "site" / "config.toml")
    return tmp_path / "site"


def text_of(root: Path, pattern: str) -> str:
    found = sorted(path for path in root.glob(pattern) if path.is_file() and path.suffix != ".gz")
    return "".join(path.read_text(encoding="utf-8") for path in found)


def items(root: Path) -> list[str]:
    return [
        e.title for e in feedparser.parse((root / "public/feeds/main.rss").read_bytes()).entries
    ]


def test_a_deletion_built_by_a_clock_behind_reaches_every_document(tmp_path: Path):
    """The only Weather story is deleted and built on a clock 10 s behind: its category
    feed, archive page, preview and the index lose it, then and later."""
    site = sample(tmp_path)
    config = site / "config.toml"
    assert "Strong Winds" in text_of(site / "public/feeds/category", "weather*")
    (site / "articles/wind-warning.md").unlink()
    build(config, behind(10))
    for _ in range(3):
        build(config)
    for pattern in ("feeds/category/weather*", "feeds/category/weather/archive/*", "feeds/main*"):
        assert "Strong Winds" not in text_of(site / "public", pattern), pattern
    assert "Strong Winds" not in (site / "public/index.html").read_text(encoding="utf-8")


def test_a_build_on_a_clock_behind_takes_no_story_out(tmp_path: Path):
    """A clock behind the last build's does not take out the stories it published (it
    would say they are not due yet), nor does the next build bring them back."""
    site = sample(tmp_path)
    before = items(site)
    assert len(before) == 8
    build(site / "config.toml", behind(600))
    assert items(site) == before


def test_an_edit_built_by_a_clock_behind_is_published(tmp_path: Path):
    site = sample(tmp_path)
    path = site / "articles/wind-warning.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Strong Winds", "Gales"), encoding="utf-8"
    )
    build(site / "config.toml", behind(30))
    build(site / "config.toml")
    for feed in ("main.rss", "category/weather.rss", "category/weather.atom"):
        text = (site / "public/feeds" / feed).read_text(encoding="utf-8")
        assert "Warns of Gales" in text and "Warns of Strong Winds" not in text, feed
