"""The commands an operator types: init, build, check."""

import signal
import subprocess
import sys
from pathlib import Path

import feedparser
from conftest import Site, feedsvc, page, wait_until

from feedsvc.core.config import load

REPO = Path(__file__).resolve().parents[1]


def test_init_makes_an_empty_site_that_builds(tmp_path: Path):
    folder = tmp_path / "news"
    result = feedsvc("init", str(folder))
    assert result.returncode == 0, result.stderr
    assert (folder / "articles").is_dir()
    assert (folder / "latest-news.txt").read_text() == ""
    settings = load(folder / "config.toml")
    assert settings.store[0].path == folder / "articles"
    built = feedsvc("--config", str(folder / "config.toml"), "build")
    assert built.returncode == 0, built.stderr
    assert "0 articles" in built.stdout
    for name in ("main", "latest"):
        for fmt in ("rss", "atom"):
            parsed = feedparser.parse((folder / "public" / "feeds" / f"{name}.{fmt}").read_bytes())
            assert not parsed.bozo and parsed.entries == []


def test_init_with_sample_content_gives_feeds_a_reader_can_use(tmp_path: Path):
    folder = tmp_path / "news"
    assert feedsvc("init", "--sample", str(folder)).returncode == 0
    pages = sorted(p for p in (folder / "articles").rglob("*") if p.is_file())
    assert len(pages) >= 5 and {p.suffix for p in pages} == {".txt", ".md"}
    assert any("Мария" in p.read_text() or "Ақтоғай" in p.read_text() for p in pages)
    check = feedsvc("--config", str(folder / "config.toml"), "check")
    assert check.returncode == 0, check.stdout
    assert check.stdout.strip().endswith("0 errors, 1 warning")
    assert "checked 1 store(s) in " in check.stdout
    built = feedsvc("build", cwd=folder)  # --config defaults to ./config.toml
    assert built.returncode == 0, built.stderr
    main = feedparser.parse((folder / "public" / "feeds" / "main.atom").read_bytes())
    assert len(main.entries) == len(pages)
    latest = feedparser.parse((folder / "public" / "feeds" / "latest.rss").read_bytes())
    listed = [line for line in (folder / "latest-news.txt").read_text().splitlines() if line]
    assert len(latest.entries) == len(listed)
    economy = feedparser.parse((folder / "public/feeds/category/экономика.rss").read_bytes())
    assert [e.title for e in economy.entries] == [
        "Фермеры Северогорской области ждут рекордного урожая зерна"
    ]
    # The Russian and Kazakh text pages are in ru/ and kk/, and say so in the feeds.
    languages = {e.title: e.title_detail.language for e in main.entries}
    assert languages["В Северогорске открыли новую трамвайную линию до вокзала"] == "ru"
    assert languages["Ақтоғай ауылында дала фестивалі өтті"] == "kk"


def test_init_never_overwrites_a_site(tmp_path: Path):
    folder = tmp_path / "news"
    feedsvc("init", str(folder))
    (folder / "config.toml").write_text("# mine\n")
    result = feedsvc("init", "--sample", str(folder))
    assert result.returncode == 2
    assert "already exists; not overwriting" in result.stderr
    assert (folder / "config.toml").read_text() == "# mine\n"


def test_check_lists_every_problem_writes_nothing_and_fails_on_errors(site: Site):
    site.write("good.txt", page("Good", "Fine.", latest=["Good", "No Such Story"]))
    site.write("bad.txt", "Headline\nno blank line\n")
    before = sorted(p.relative_to(site.root) for p in site.root.rglob("*"))
    result = feedsvc("--config", str(site.config), "check")
    assert result.returncode == 1
    assert f"{site.articles / 'bad.txt'}:2: line 2 must be blank" in result.stdout
    assert f"{site.articles / 'good.txt'}: warning: headline has no article" in result.stdout
    assert "'No Such Story'" in result.stdout
    assert result.stdout.strip().endswith("1 error, 1 warning")
    assert sorted(p.relative_to(site.root) for p in site.root.rglob("*")) == before


def test_build_reports_skipped_files_and_still_builds(site: Site):
    site.write("good.txt", page("Good", "Fine."))
    (site.articles / "bad.txt").write_bytes(b"\xff\xfe\x00b")
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 0
    assert result.stderr.count(f"skipped {site.articles / 'bad.txt'}: binary file") == 1, "once"
    assert result.stdout.startswith("1 article; written: ")
    assert "feeds/main.rss, feeds/main.atom, feeds/main.json" in result.stdout
    again = feedsvc("--config", str(site.config), "build", "--strict")
    assert "written: nothing changed" in again.stdout
    assert again.returncode == 1, "--strict: a skipped article fails the command (for CI)"


def test_a_missing_article_folder_is_an_error_not_a_traceback(site: Site):
    site.articles.rmdir()
    message = f"store 'files' not read: {site.articles}: article folder does not exist"
    for command in ("build", "check"):
        result = feedsvc("--config", str(site.config), command)
        assert result.returncode == 1
        assert message in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_the_repository_config_checks_clean():
    result = feedsvc("--config", str(REPO / "config.toml"), "check")
    assert result.returncode == 0, result.stdout


def test_a_one_off_command_leaves_at_once_with_its_output_whole_and_its_exit_code(site: Site):
    """`feedsvc` skips Python's teardown after a one-off command (0.1-0.2 s): what it
    printed and logged still arrives whole, and the exit code is the command's own."""
    named = "".join(f'[[feeds]]\nname = "desk-{n}"\ncategory = "Desk {n}"\n' for n in range(60))
    site.configure(extra=named)
    done = feedsvc("--config", str(site.config), "snippet")
    assert done.returncode == 0, done.stderr
    links = done.stdout.splitlines()
    assert len(links) == 60 * 3 and links[-1].startswith('<link rel="alternate"')
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    built = feedsvc("--config", str(site.config), "build")
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("1 article; written: ")
    refused = feedsvc("--config", str(site.root / "missing.toml"), "build")
    assert refused.returncode == 2 and "config file not found" in refused.stderr
    site.write("broken.md", "+++\ntitle = \n+++\nBody.\n")
    checked = feedsvc("--config", str(site.config), "check")
    assert checked.returncode == 1, checked.stdout
    assert "broken.md" in checked.stdout and ": 1 error, " in checked.stdout.splitlines()[-1]


def test_a_command_prints_what_an_operator_reads_and_takes_h_for_help(site: Site):
    """No line of Alembic's plugins nor one per file written (the command's own line
    says what it wrote) unless -v asks for the detail, and -h is --help, as in its
    peers."""
    site.write("a.txt", page("Harbour Ferry Returns", "The ferry runs again."))
    built = feedsvc("--config", str(site.config), "build")
    assert built.returncode == 0, built.stderr
    assert "alembic" not in built.stderr and "wrote " not in built.stderr
    assert "written: feeds/" in built.stdout
    for args in (["-h"], ["build", "-h"]):
        helped = feedsvc(*args)
        assert helped.returncode == 0 and helped.stdout.startswith("Usage:"), args
    assert "JSON Feed" in feedsvc("-h").stdout
    site.write("b.txt", page("Tram Line Opens", "The first tram ran."))
    detailed = feedsvc("-v", "--config", str(site.config), "build")
    assert "wrote " in detailed.stderr and " DEBUG " in detailed.stderr, "-v: the detail too"


def test_ctrl_c_leaves_with_130_and_no_word(site: Site):
    """Interrupted (here while `state import -` waits for its input): the shell's code
    for SIGINT, not click's "Aborted!" and 1."""
    command = [sys.executable, "-m", "feedsvc", "--config", str(site.config)]
    waiting = subprocess.Popen(
        [*command, "state", "import", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wchan = Path(f"/proc/{waiting.pid}/wchan")
    wait_until(lambda: "pipe_read" in wchan.read_text(), 30, what="it to wait on its input")
    waiting.send_signal(signal.SIGINT)
    _out, err = waiting.communicate(timeout=20)
    assert waiting.returncode == 130 and "Aborted" not in err and "Traceback" not in err


def test_config_may_follow_the_command(site: Site):
    """`feedsvc build --config x.toml` as peers take it ("No such option" before)."""
    site.write("a.txt", page("Harbour Ferry Returns", "The ferry runs again."))
    built = feedsvc("build", "--config", str(site.config))
    assert built.returncode == 0, built.stderr
    assert (site.feeds / "main.rss").exists()
    counted = feedsvc("stats", f"--config={site.config}")
    assert counted.returncode == 0 and "1 articles" in counted.stdout, counted.stderr
