"""`feedsvc init`: a new site folder, optionally with sample content."""

import shutil
from pathlib import Path

from feedsvc.core.config import Settings
from feedsvc.core.config.reference import config_toml

SAMPLE_DIR = Path(__file__).parent.parent / "sample"
# The sample's text pages in Russian and Kazakh are in folders of their own: a text
# page cannot state its language.
SAMPLE_LANGUAGES = {"kk": "kk", "ru": "ru"}


class SiteExistsError(FileExistsError):
    pass


def site_config(
    *, articles: str, latest: str, state: str, public: str, languages: dict[str, str]
) -> str:
    """The commented config.toml of a site with these files (paths as written, relative
    to the config's folder): a files store and a local folder, the rest at defaults."""
    settings = Settings.model_validate(
        {
            "store": [{"path": articles, "languages": languages}],
            "latest": {"path": latest},
            "state": {"url": f"sqlite:///{state}"},
            "publish": [{"path": public}],
        }
    )
    return config_toml(settings)


def init_site(folder: Path, *, sample: bool) -> list[Path]:
    """Create config.toml, articles/ and latest-news.txt; never overwrite a site."""
    config = folder / "config.toml"
    if config.exists():
        raise SiteExistsError(f"{config} already exists; not overwriting a site")
    articles = folder / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    config.write_text(
        site_config(
            articles="articles",
            latest="latest-news.txt",
            state="state.db",
            public="public",
            languages=SAMPLE_LANGUAGES if sample else {},
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
