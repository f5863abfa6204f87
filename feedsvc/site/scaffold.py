"""`feedsvc init`: a new site folder, optionally with sample content."""

import shutil
from pathlib import Path

from feedsvc.core.config import render_template

SAMPLE_DIR = Path(__file__).parent.parent / "sample"
# The sample's text pages in Russian and Kazakh are in folders of their own: a text
# page cannot state its language.
SAMPLE_LANGUAGES = '{ "kk" = "kk", "ru" = "ru" }'


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
            articles="articles",
            latest="latest-news.txt",
            state="state.db",
            public="public",
            languages=SAMPLE_LANGUAGES if sample else "{}",
        ),
        encoding="utf-8",
    )
    latest = folder / "latest-news.txt"
    made = [config, articles, latest]
    if sample:
        shutil.copyfile(SAMPLE_DIR / "latest-news.txt", latest)
        for page in sorted((SAMPLE_DIR / "articles").rglob("*.*")):
            copy = articles / page.relative_to(SAMPLE_DIR / "articles")
            copy.parent.mkdir(exist_ok=True)
            made.append(Path(shutil.copyfile(page, copy)))
    elif not latest.exists():
        latest.write_text("", encoding="utf-8")
    return made
