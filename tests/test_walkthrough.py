"""The README's "Your own site" walkthrough, run as written: each shell block in turn,
in an empty folder, with the feedsvc this suite tests first on the PATH."""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def walkthrough() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    part = text.split("## Your own site", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", part, re.S)


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path):
    blocks = walkthrough()
    assert len(blocks) >= 6, "init, config, articles, feeds, build, serve"
    script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"
    script += "".join(blocks)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("FEEDSVC_CONFIG", None)
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # What each step promised: a Russian category kept in Cyrillic, the tag family, the
    # article served in its tag's feed, and stats on the two articles.
    assert "культура.rss" in done.stdout and "winter-roads.rss" in done.stdout
    assert "Ice road to Kharp opens a week early" in done.stdout
    assert "visible now: 2 articles" in done.stdout
    feed = (tmp_path / "mysite/public/feeds/tag/music.rss").read_text(encoding="utf-8")
    assert "<title>Tundra Courier: music</title>" in feed
    assert "http://127.0.0.1:8765/feeds/tag/music.rss" in feed


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a Markdown page's headings (code blocks aside)."""
    found, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        fenced ^= line.startswith("```")
        if not fenced and (heading := re.match(r"^#{1,6} (.*)", line)):
            words = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(words.replace(" ", "-"))
    return found


def test_every_link_between_the_readme_and_docs_finds_its_page_and_heading():
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []
