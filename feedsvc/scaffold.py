"""`feedsvc init`: a new site folder, optionally with sample content."""

import shutil
from pathlib import Path

from feedsvc.config import render_template

SAMPLE_DIR = Path(__file__).parent / "sample"


class SiteExistsError(FileExistsError):
    pass


def init_site(folder: Path, *, sample: bool) -> list[Path]:
    """Create config.toml, articles/ and latest-news.txt; never overwrite a site."""
    config = folder / "config.toml"
    if config.exists():
        raise SiteExistsError(f"{config} already exists; not overwriting a site")
    articles = folder / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    config.write_text(
        render_template(
            articles="articles", latest="latest-news.txt", state="state.db", public="public"
        ),
        encoding="utf-8",
    )
    latest = folder / "latest-news.txt"
    made = [config, articles, latest]
    if sample:
        shutil.copyfile(SAMPLE_DIR / "latest-news.txt", latest)
        for page in sorted((SAMPLE_DIR / "articles").iterdir()):
            made.append(Path(shutil.copyfile(page, articles / page.name)))
    elif not latest.exists():
        latest.write_text("", encoding="utf-8")
    return made
