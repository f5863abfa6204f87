"""atheris (coverage-guided) over the files store's parsers: any bytes in, articles or a
refusal naming the file's line out (RecordError); any other exception is a crash.

The suite runs it for a bounded time (test_fuzz.py); run it long by hand:
    .venv/bin/python tests/fuzz_parsers.py -max_total_time=1800 -rss_limit_mb=4096 CORPUS
CORPUS is a folder of seed files (test_fuzz.py writes one from feedsvc/sample) that
the fuzzer grows.
"""

import sys
from zoneinfo import ZoneInfo

import atheris

with atheris.instrument_imports(include=["feedsvc"]):
    from feedsvc.store import RecordError, textpage
    from feedsvc.store.formats import FORMATS, FileInfo
    from feedsvc.store.record import SiteContext

SITE = SiteContext("https://news.example/{slug}/", ZoneInfo("Asia/Almaty"), 300)
NAMES = sorted(FORMATS)


def one_input(data: bytes) -> None:
    """The first byte picks the format, the rest is the file, as the files store reads it."""
    if not data:
        return
    fmt = NAMES[data[0] % len(NAMES)]
    try:
        text = textpage.decode(data[1:])
        parsed = FORMATS[fmt](text, FileInfo("fuzz", f"fuzzed.{fmt}", "fuzzed", SITE))
    except RecordError as refused:
        assert refused.reason, "a refusal says why"
        return
    for article in parsed.articles:
        assert article.title and "\x00" not in article.title, article


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
