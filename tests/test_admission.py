"""One door for records that cannot raise: a file or record of any shape is its own
problem (named, skipped), never the build's; every other article goes in."""

import json

from conftest import Site, feedsvc, md

HUGE = "9" * 5000  # Python refuses to convert an integer string over 4,300 digits


def test_huge_integers_in_any_format_skip_their_record_and_name_it(site: Site):
    site.write("ok.md", md("Ferry Timetable Changes"))
    record = json.dumps({"title": "Big", "body_html": "<p>x</p>"})[:-1]
    site.write("big.json", record + f', "episode": {HUGE}}}')
    site.write(
        "wire.ndjson",
        '{"title": "Wire One", "id": "w1", "body_html": "<p>1</p>"}\n'
        + f'{{"title": "Wire Two", "id": "w2", "body_html": "<p>2</p>", "season": {HUGE}}}\n',
    )
    site.write("big.md", f"+++\ntitle = 'Front'\nepisode = {HUGE}\n+++\nBody.\n")
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 0, result.stderr
    said = result.stderr
    assert f"{site.articles / 'big.json'}:1: episode: must be a whole number" in said, said
    assert f"{site.articles / 'wire.ndjson'}:2: season: must be a whole number" in said
    assert f"{site.articles / 'big.md'}:3: front matter: a number too long to read" in said
    main = (site.feeds / "main.rss").read_text(encoding="utf-8")
    assert "Ferry Timetable Changes" in main and "Wire One" in main
    checked = feedsvc("--config", str(site.config), "check")
    assert checked.returncode == 1 and "big.json" in checked.stdout
