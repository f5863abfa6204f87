"""[store], [latest] and [state]: where the articles come from, the latest-news list,
and feedsvc's own database."""

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from feedsvc.core.config.base import FilePath, Section, only_fields_of_kind
from feedsvc.core.text import LANGUAGE_TAG

FileFormat = Literal["text", "markdown", "html", "json", "ndjson"]
STORE_FIELDS = {
    "files": {"path", "max_file_size", "formats", "watch", "language", "languages"},
    "sql": {"url", "table", "query", "columns"},
    "feed": {"url", "timeout", "max_failures"},
}


class StoreSettings(Section):
    kind: Literal["files", "sql", "feed"] = "files"
    """`files`: a folder of article files (`.txt` text pages; `.md` Markdown and `.html`
    with TOML front matter; `.json`, `.ndjson`); `sql`: rows of a table or query;
    `feed`: the items of an existing RSS or Atom feed. `[[store]]` tables combine several."""
    name: str = ""
    """The store's name, which its articles remember (empty: the kind)."""
    renamed_from: str = ""
    """The store's name before a rename: its articles keep their GUIDs under the new one
    (without it they leave the feeds and come back as new)."""
    path: FilePath = FilePath("articles")
    """files: the article folder."""
    max_file_size: Annotated[int, Field(gt=0)] = 1_048_576
    """files: a larger file is reported and skipped (bytes)."""
    formats: dict[str, FileFormat] = {}
    """files: a format for every file in a folder, whatever its extension
    (`{ "legacy" = "text" }`)."""
    watch: bool = True
    """files: inotify names the files that changed, so a scan after the first stats only
    those; off for a folder other machines write to (NFS, SMB: the kernel is not told)."""
    language: Annotated[str, Field(pattern=LANGUAGE_TAG)] = ""
    """files: the language of articles that state none (a text page cannot); empty:
    the site's."""
    languages: dict[str, Annotated[str, Field(pattern=LANGUAGE_TAG)]] = {}
    """files: the same by folder, the most specific folder winning
    (`{ "ru" = "ru", "kz" = "kk" }`)."""
    url: str = ""
    """sql: a SQLAlchemy URL (`postgresql+psycopg://feedsvc@db/news`); feed: the feed's
    http(s) URL."""
    table: str = ""
    """sql: the table the rows come from (or `query`)."""
    query: str = ""
    """sql: a `SELECT` the rows come from (or `table`)."""
    columns: dict[str, str] = {}
    """sql: field = column, where they differ (`{ id = "article_id", title = "headline" }`)."""
    timeout: Annotated[float, Field(gt=0)] = 10
    """feed: seconds to wait for the feed."""
    max_failures: Annotated[int, Field(gt=0)] = 3
    """feed: failed fetches in a row that make an error (fewer are warnings)."""

    @model_validator(mode="after")
    def _fits_kind(self) -> "StoreSettings":
        only_fields_of_kind(self, STORE_FIELDS, "store")
        if self.kind == "sql":
            if not self.url:
                raise ValueError("a 'sql' store needs url, a SQLAlchemy database URL")
            if bool(self.table) == bool(self.query):
                raise ValueError("a 'sql' store needs exactly one of table and query")
        if self.kind == "feed" and not re.match(r"^https?://", self.url):
            raise ValueError("a 'feed' store needs url, the http(s) address of the feed")
        return self

    @property
    def label(self) -> str:
        return self.name or self.kind


class LatestSettings(Section):
    path: FilePath = FilePath("latest-news.txt")
    """The site's latest-news list, a headline a line (`- ` allowed); when it lists
    nothing, the "Latest news" section of the newest article page is used."""


class StateSettings(Section):
    url: str = "sqlite:///state.db"
    """feedsvc's own database (a SQLAlchemy URL): identities, dates, builds. Replicas
    share a PostgreSQL one (`postgresql+psycopg://feedsvc@db/feedsvc`, the password
    from `PGPASSWORD` or `~/.pgpass`)."""
