"""Benchmark: a whole-site build by feedsvc beside Hugo's, on the same store (issue 28).

Makes the store of bench/scale.py (--articles Markdown files with TOML front matter:
300 categories, 3,000 tags, 500 authors) once, and builds the same feeds with both,
in the same run:
- feedsvc: the main feed (full text) and an RSS feed per category, tag and author
  (summaries), 50 items each, RSS only, no archive pages;
- Hugo (Debian's `hugo`): the same taxonomies, `[outputs] home = ["RSS"]`,
  `term = ["RSS"]`, every other kind disabled, pages listed but never rendered,
  `[services.rss] limit = 50`, and a home RSS template that carries the full text.
Then the redo after a site-wide edit (the site's title: every feed again; Hugo always
rebuilds all), and a reading again of every file (summary_length: every summary, so
every feed, again). Prints wall seconds (median of --repeat), the ratio, and the most
memory each one's processes held at once.

    .venv/bin/python bench/hugo.py [--articles 20000] [--repeat 3]
"""

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from scale import write_store

from feedsvc.core.workers import descendants

HUGO_CONFIG = """baseURL = "http://127.0.0.1:8080/"
title = "{title}"
disableKinds = ["section", "taxonomy", "sitemap", "robotsTXT", "404"]
ignoreErrors = ["error-disable-taxonomy"]  # (term feeds stay: what is meant)

[taxonomies]
category = "categories"
tag = "tags"
author = "author"

[outputs]
home = ["RSS"]
term = ["RSS"]
page = []

[[cascade]]
  [cascade._build]
    render = "never"
    list = "always"
  [cascade._target]
    kind = "page"

[services.rss]
limit = 50
"""
# The home feed with each item's full text (Hugo's own template carries the summary).
HOME_RSS = """<rss version="2.0"><channel><title>{{ .Site.Title }}</title>
<link>{{ .Permalink }}</link><description>{{ .Site.Title }}</description>
{{ range first 50 .Site.RegularPages }}<item><title>{{ .Title }}</title>
<link>{{ .Permalink }}</link><pubDate>{{ .Date.Format "Mon, 02 Jan 2006 15:04:05 -0700" }}</pubDate>
<guid>{{ .Permalink }}</guid><description>{{ .Content | html }}</description></item>
{{ end }}</channel></rss>
"""
FEEDSVC_CONFIG = """[site]
title = "{title}"
summary_length = {summary}
base_url = "http://127.0.0.1:8080/"
[store]
path = "content"
[[feeds]]
name = "main"
formats = ["rss"]
limit = 50
archive = false
[[feeds]]
name = "category"
per = "category"
content = "summary"
formats = ["rss"]
limit = 50
archive = false
[[feeds]]
name = "tag"
per = "tag"
content = "summary"
formats = ["rss"]
limit = 50
archive = false
[[feeds]]
name = "author"
per = "author"
content = "summary"
formats = ["rss"]
limit = 50
archive = false
"""


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    """(wall seconds, peak memory in KiB) of one run: the most its whole process tree
    held at once (the sum of each process's resident memory, sampled every 0.1 s), pool
    processes included (the process's own ru_maxrss leaves out those a forkserver
    started, which it never waits for). Resident counts, not proportional shares:
    reading smaps for a 12 GB process walked its page tables under its memory lock and
    slowed Hugo by half at 200,000; pages the pool processes share are counted in each."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    watching = threading.Thread(target=_watch, args=(process, peak), daemon=True)
    watching.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - started
    watching.join()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {stderr.decode()[-2000:]}")
    return seconds, peak[0]


def _watch(process: subprocess.Popen, peak: list[int]) -> None:
    while process.poll() is None:
        tree = {process.pid, *descendants(process.pid)}
        peak[0] = max(peak[0], sum(map(_resident_kib, tree)))
        time.sleep(0.1)


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def _resident_kib(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):  # gone meanwhile
        return 0


def configure(site: Path, title: str, summary: int = 300) -> None:
    (site / "hugo.toml").write_text(HUGO_CONFIG.format(title=title), encoding="utf-8")
    config = FEEDSVC_CONFIG.format(title=title, summary=summary)
    (site / "config.toml").write_text(config, encoding="utf-8")


def feedsvc(site: Path) -> tuple[float, int]:
    return timed([sys.executable, "-m", "feedsvc", "-q", "--config", "config.toml", "build"], site)


def hugo(site: Path) -> tuple[float, int]:
    shutil.rmtree(site / "public-hugo", ignore_errors=True)
    return timed(["hugo", "--quiet", "--destination", "public-hugo"], site)


def fresh(site: Path) -> None:
    """As before feedsvc's first build: no state, nothing published."""
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (site / name).unlink(missing_ok=True)
    shutil.rmtree(site / "public", ignore_errors=True)


def row(what: str, ours: list[tuple[float, int]], theirs: list[tuple[float, int]]) -> None:
    mine, hugos = statistics.median(s for s, _ in ours), statistics.median(s for s, _ in theirs)
    print(
        f"  {what:34} {mine:9.1f} s {hugos:9.1f} s {mine / hugos:7.2f}x"
        f" {max(m for _, m in ours) / 1024:9.0f} MB {max(m for _, m in theirs) / 1024:8.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        raise SystemExit("hugo is not installed (Debian: apt-get install hugo)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 8192), hard), hard))
    site = Path(tempfile.mkdtemp(prefix="feedsvc-bench-hugo-"))
    try:
        write_store(site / "content", args.articles, random.Random(28))
        (site / "layouts").mkdir()
        (site / "layouts" / "index.rss.xml").write_text(HOME_RSS, encoding="utf-8")
        configure(site, "Bench News")
        first_ours, first_hugo, redo_ours, again_ours = [], [], [], []
        for _ in range(args.repeat):
            fresh(site)
            configure(site, "Bench News")
            first_ours.append(feedsvc(site))
            first_hugo.append(hugo(site))
            configure(site, "Bench News, edited")  # every feed's title: every feed again
            redo_ours.append(feedsvc(site))
            # Every summary cut elsewhere: every file read again, every feed again.
            configure(site, "Bench News, edited", summary=280)
            again_ours.append(feedsvc(site))
        feeds = sum(1 for _ in (site / "public" / "feeds").rglob("*.rss"))
        hugo_feeds = sum(1 for _ in (site / "public-hugo").rglob("*.xml"))
        print(
            f"{args.articles:,} articles; feedsvc wrote {feeds:,} RSS feeds, Hugo {hugo_feeds:,};"
            f" medians of {args.repeat}\n"
        )
        print(f"  {'work':34} {'feedsvc':>11} {'Hugo':>11} {'ratio':>8} {'peak':>12} {'Hugo':>11}")
        row("first build", first_ours, first_hugo)
        row("redo after a site title edit", redo_ours, first_hugo)
        row("read again: summary_length edit", again_ours, first_hugo)
    finally:
        shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
