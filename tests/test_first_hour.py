"""What an operator meets first: `make run` installs only what running needs, and a
site made by `feedsvc init` reads as its own (its name in every feed, each feed
described for what it is)."""

import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest
from conftest import feedsvc

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not shutil.which("make"), reason="no make here")
def test_make_run_installs_what_running_needs_and_no_test_tools(tmp_path: Path):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    planned = subprocess.run(["make", "-n", "run"], cwd=tmp_path, capture_output=True, text=True)
    assert planned.returncode == 0, planned.stderr
    installs = [line for line in planned.stdout.splitlines() if "pip install" in line]
    assert any(line.endswith("install --quiet -e .") for line in installs), installs
    assert not any("[test]" in line for line in installs), installs
    tests = subprocess.run(["make", "-n", "test"], cwd=tmp_path, capture_output=True, text=True)
    assert "-e '.[test]'" in tests.stdout


def test_an_init_site_says_its_own_name_and_describes_each_feed(tmp_path: Path):
    site = tmp_path / "site"
    assert feedsvc("init", str(site), "--sample").returncode == 0
    config = site / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('title = "Example News"', 'title = "Steppe Herald"', 1))
    assert "Example News" not in config.read_text(encoding="utf-8").split("[[feeds]]", 1)[1]
    built = feedsvc("--config", str(config), "build")
    assert built.returncode == 0, built.stderr
    feeds = site / "public" / "feeds"
    main = feedparser.parse((feeds / "main.atom").read_bytes()).feed
    latest = feedparser.parse((feeds / "latest.atom").read_bytes()).feed
    section = feedparser.parse((feeds / "category" / "экономика.atom").read_bytes()).feed
    assert main.title == "Steppe Herald"
    assert latest.title == "Steppe Herald: latest news"
    assert section.title == "Steppe Herald: Экономика"
    descriptions = {main.subtitle, latest.subtitle, section.subtitle}
    assert len(descriptions) == 3, descriptions
    assert "Steppe Herald" in latest.subtitle and "Экономика" in section.subtitle
