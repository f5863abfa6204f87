"""config.toml -> typed settings. Every error names the file and the key."""

import difflib
import hashlib
import ipaddress
import json
import math
import os
import re
import tomllib
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from feedsvc.core.envvars import CONFIG_ENV
from feedsvc.core.podcast import IMAGE_MAX, IMAGE_MIN, Show, category_problem
from feedsvc.core.text import LANGUAGE_TAG

FEED_NAME = r"^[a-z0-9][a-z0-9_-]*$"
CRON_REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _absolute_http_url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"must be an absolute http(s) URL, got {value!r}")
    return value


def _from_environment(value: object) -> object:
    """A secret given as "${NAME}" is read from the environment, so it stays out of the file."""
    if isinstance(value, str) and (found := re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value)):
        name = found.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]
    return value


# Never shown in logs, errors or reprs; "${NAME}" reads an environment variable.
Secret = Annotated[SecretStr, BeforeValidator(_from_environment)]


def _only_fields_of_kind(model: BaseModel, fields: dict[str, set[str]], noun: str) -> None:
    """A table of one kind (store or target) may not set another kind's settings."""
    kind = model.kind  # type: ignore[attr-defined]
    mine = fields[kind] | {"kind", "name", "renamed_from"}
    for other in model.model_fields_set - mine:
        if getattr(model, other) != type(model).model_fields[other].default:
            raise ValueError(f"{other} is not a setting of a {kind!r} {noun}")


# A feed's own words, bounded so that a document always fits the size readers take once
# its items give way (feeds/documents.py).
Title = Annotated[str, Field(max_length=500)]
Description = Annotated[str, Field(max_length=10_000)]


class SiteSettings(_Section):
    title: Title = "Example News"
    url: str = "https://example.org/"
    description: Description = "The latest stories from Example News."
    language: str = "en"
    article_url: str = "https://example.org/{slug}/"
    base_url: str = "http://127.0.0.1:8080/"
    timezone: str = "UTC"
    summary_length: Annotated[int, Field(ge=20, le=5000)] = 300
    image: str = ""
    icon: str = ""
    # A family member left with no article stays a valid empty feed this many days
    # (its subscribers see the removal), then answers 410 Gone.
    # (At most a century: a date that far back is still one a build can reckon.)
    empty_family_days: Annotated[int, Field(ge=0, le=36500)] = 30
    # Atom feeds list an article removed from them (RFC 6721) this many days.
    tombstone_days: Annotated[int, Field(ge=0, le=36500)] = 30
    # Audio found in article bodies, of unknown length: "off" leaves it out of podcast
    # feeds; "public" learns its length and duration by a range request to public
    # addresses (once, kept in the state); "any" to private ones as well.
    media_probe: Literal["off", "public", "any"] = "off"
    # X-Robots-Tag on feed documents (not the HTML pages): search engines leave feeds
    # out of their results. Empty: no header.
    robots: Annotated[str, Field(pattern=r"^[\w ,:-]{0,200}$")] = "noindex"
    # Feedly's webfeeds: elements: a wide logo (SVG best), a cover image, the accent
    # colour (six hex digits), and "card" for its related-stories layout.
    logo: str = ""
    cover: str = ""
    accent_color: Annotated[str, Field(pattern=r"^([0-9A-Fa-f]{6})?$")] = ""
    related: Literal["", "card"] = ""

    @field_validator("image", "icon", "logo", "cover")
    @classmethod
    def _optional_url(cls, value: str) -> str:
        return value and _absolute_http_url(value)

    @field_validator("url", "base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = _absolute_http_url(value)
        return value if value.endswith("/") else value + "/"

    @field_validator("article_url")
    @classmethod
    def _article_url(cls, value: str) -> str:
        if "{slug}" not in value:
            raise ValueError("must contain {slug}, e.g. https://example.org/{slug}/")
        return _absolute_http_url(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use a name like Asia/Almaty)") from None
        return value


FileFormat = Literal["text", "markdown", "html", "json", "ndjson"]
STORE_FIELDS = {
    "files": {"path", "max_file_size", "formats", "watch", "language", "languages"},
    "sql": {"url", "table", "query", "columns"},
    "feed": {"url", "timeout", "max_failures"},
}


class StoreSettings(_Section):
    kind: Literal["files", "sql", "feed"] = "files"
    name: str = ""  # defaults to the kind; articles remember the store they came from
    # The store's name before: its articles keep their GUIDs under the new one (without
    # it, a renamed store's articles leave the feeds and come back as new ones).
    renamed_from: str = ""
    path: Path = Path("articles")
    max_file_size: Annotated[int, Field(gt=0)] = 1_048_576
    formats: dict[str, FileFormat] = {}
    # inotify: a scan stats only the files the kernel said changed. Off for a folder
    # other machines write to (NFS, SMB: the kernel is not told of their changes).
    watch: bool = True
    # The language of articles that state none (text pages cannot): for the whole
    # store, and by folder, the most specific folder winning.
    language: Annotated[str, Field(pattern=LANGUAGE_TAG)] = ""
    languages: dict[str, Annotated[str, Field(pattern=LANGUAGE_TAG)]] = {}
    url: str = ""
    table: str = ""
    query: str = ""
    columns: dict[str, str] = {}
    timeout: Annotated[float, Field(gt=0)] = 10
    max_failures: Annotated[int, Field(gt=0)] = 3

    @model_validator(mode="after")
    def _fits_kind(self) -> "StoreSettings":
        _only_fields_of_kind(self, STORE_FIELDS, "store")
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


class LatestSettings(_Section):
    path: Path = Path("latest-news.txt")


class StateSettings(_Section):
    url: str = "sqlite:///state.db"


PUBLISH_FIELDS = {
    "local": {"path"},
    "s3": {"bucket", "prefix", "endpoint_url", "region", "access_key", "secret_key"},
    "webdav": {"url", "username", "password", "token"},
}


class PublishSettings(_Section):
    kind: Literal["local", "s3", "webdav"] = "local"
    name: str = ""  # defaults to the kind; names the target in logs, /healthz and metrics
    path: Path = Path("public")
    bucket: str = ""
    prefix: str = ""
    endpoint_url: str = ""
    region: str = "us-east-1"
    access_key: Secret = SecretStr("")
    secret_key: Secret = SecretStr("")
    url: str = ""
    username: str = ""
    password: Secret = SecretStr("")
    token: Secret = SecretStr("")

    @model_validator(mode="after")
    def _fits_kind(self) -> "PublishSettings":
        _only_fields_of_kind(self, PUBLISH_FIELDS, "target")
        if self.kind == "s3" and not self.bucket:
            raise ValueError("an 's3' target needs bucket")
        if self.kind == "webdav" and not re.match(r"^https?://[^/\s]+", self.url):
            raise ValueError("a 'webdav' target needs url, the http(s) address of a folder")
        if self.username and self.token.get_secret_value():
            raise ValueError("give username and password (basic auth) or token, not both")
        return self

    @property
    def label(self) -> str:
        return self.name or self.kind


class ScheduleSettings(_Section):
    interval: Annotated[float, Field(gt=0)] = 60
    cron: str = ""
    # A redo of every feed (a site-wide edit, a new release) goes on in slices of this
    # many seconds, each published as done; news goes between them.
    redo_slice: Annotated[float, Field(gt=0, le=60)] = 0.25

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value:
            from apscheduler.triggers.cron import CronTrigger  # only for a cron (35 ms)

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"not a crontab expression ({exc})") from None
        return value

    def minutes(self, timezone: str) -> int:
        """The shortest time between rebuilds, in whole minutes (at least 1): readers'
        polling hint. Worked out from a fixed date, so feeds stay byte-identical."""
        if not self.cron:
            return max(1, math.ceil(self.interval / 60))
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(self.cron, timezone=zoneinfo.ZoneInfo(timezone))
        fire = trigger.get_next_fire_time(None, CRON_REFERENCE)
        gaps = []
        for _ in range(20):
            after = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if fire is None or after is None:
                break
            gaps.append((after - fire).total_seconds())
            fire = after
        return max(1, math.ceil(min(gaps, default=60) / 60))


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    max_age: Annotated[int, Field(ge=0)] = 60
    # Complete archive pages change only when an old article is edited or taken down.
    archive_max_age: Annotated[int, Field(ge=0)] = 86400
    health_max_age: Annotated[float, Field(gt=0)] = 600
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    ready_cache: Annotated[int, Field(ge=1)] = 64
    brotli: bool = False
    rate_limit: Annotated[int, Field(ge=0)] = 60
    rate_window: Annotated[float, Field(gt=0)] = 60
    trusted_proxies: list[str] = []
    access_log: bool = True
    # What one connection may hold: bytes and seconds for a request head, seconds for
    # its body, seconds idle between requests; connections a worker keeps.
    header_bytes: Annotated[int, Field(ge=1024, le=1_048_576)] = 16_384
    header_timeout: Annotated[float, Field(gt=0, le=3600)] = 10
    body_timeout: Annotated[float, Field(gt=0, le=3600)] = 60
    keep_alive: Annotated[float, Field(gt=0, le=3600)] = 5
    max_connections: Annotated[int, Field(ge=1, le=1_000_000)] = 1000

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address or network") from None
        return values


class WebSubSettings(_Section):
    hubs: list[Annotated[str, BeforeValidator(_absolute_http_url)]] = []
    builtin: bool = True
    allow_private_callbacks: bool = False
    lease_seconds: Annotated[int, Field(ge=60)] = 864_000
    max_lease_seconds: Annotated[int, Field(ge=60)] = 2_592_000
    timeout: Annotated[float, Field(gt=0)] = 10
    retries: Annotated[int, Field(ge=0, le=20)] = 5
    retry_delay: Annotated[float, Field(gt=0)] = 2
    max_failures: Annotated[int, Field(ge=1)] = 3


class ApiSettings(_Section):
    token: Secret = SecretStr("")  # empty: no ingest API
    store: str = ""  # the files store it writes into (empty: the first one)


# "medium": the kinds of media an article carries (audio, video), for podcast feeds.
LabelKind = Literal["category", "tag", "author", "region", "language", "medium"]
LABEL_KINDS: tuple[LabelKind, ...] = ("category", "tag", "author", "region", "language")
# What a feed may leave out: sponsored content, wire copy.
EXCLUDABLE: tuple[LabelKind, ...] = ("category", "tag", "author", "region")
FeedFormat = Literal["rss", "atom", "json"]
FORMATS: tuple[FeedFormat, ...] = ("rss", "atom", "json")


def _as_str_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


Values = Annotated[list[str], BeforeValidator(_as_str_list)]
LanguageTags = Annotated[
    list[Annotated[str, Field(pattern=LANGUAGE_TAG, min_length=1)]],
    BeforeValidator(_as_str_list),
]


class PodcastSettings(_Section):
    """[feeds.podcast]: what Apple Podcasts and Spotify ask of a show."""

    image: str  # square artwork
    image_size: Annotated[int, Field(ge=IMAGE_MIN, le=IMAGE_MAX)]  # pixels a side, as stated
    category: str
    subcategory: str = ""
    explicit: bool = False
    author: Title = ""  # empty: the site's title
    owner_name: Title = ""
    owner_email: Annotated[str, Field(pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$")] = ""
    type: Literal["episodic", "serial"] = "episodic"
    block: bool = False  # kept out of directories
    complete: bool = False  # no more episodes will come
    locked: bool = False  # other hosts may not import it
    guid: Annotated[str, Field(max_length=100)] = ""  # empty: derived from the feed's URL

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _absolute_http_url(value)

    @model_validator(mode="after")
    def _apple_category(self) -> "PodcastSettings":
        if problem := category_problem(self.category, self.subcategory):
            raise ValueError(problem)
        if self.locked and not self.owner_email:
            raise ValueError("locked needs owner_email: hosts ask it before a move")
        return self

    def show(self) -> Show:
        return Show(**self.model_dump(exclude={"image_size"}))


class FeedSettings(_Section):
    name: Annotated[str, Field(pattern=FEED_NAME)]
    # "podcast": an RSS feed Apple Podcasts and Spotify take, of articles with audio.
    kind: Literal["news", "podcast"] = "news"
    podcast: PodcastSettings | None = None
    title: Title = ""  # in a family, {value} is the category, tag, author or region
    description: Description = ""
    select: Literal["all", "latest"] = "all"
    category: Values = []
    tag: Values = []
    author: Values = []
    region: Values = []
    # The articles in these languages (the site's for those that state none); one
    # language is also the feed's own.
    language: LanguageTags = []
    match: Literal["all", "any"] = "all"
    # Left out whatever the filters above say.
    exclude_category: Values = []
    exclude_tag: Values = []
    exclude_author: Values = []
    exclude_region: Values = []
    per: Literal["", "category", "tag", "author", "region", "language"] = ""
    limit: Annotated[int, Field(gt=0, le=1000)] = 50
    content: Literal["full", "summary"] = "full"
    formats: Annotated[list[FeedFormat], Field(min_length=1)] = list(FORMATS)
    image: str = ""
    archive: bool = True
    archive_size: Annotated[int, Field(gt=0, le=1000)] = 100

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return value and _absolute_http_url(value)

    @field_validator("formats")
    @classmethod
    def _formats(cls, formats: list[FeedFormat]) -> list[FeedFormat]:
        if dupes := _repeated(formats):
            raise ValueError(f"formats must be unique; repeated: {dupes}")
        return formats

    @model_validator(mode="after")
    def _podcast(self) -> "FeedSettings":
        if self.kind == "podcast":
            if self.podcast is None:
                raise ValueError('kind = "podcast" needs a [feeds.podcast] table (image, ...)')
            if "rss" not in self.formats:
                raise ValueError('kind = "podcast" needs "rss" in formats: podcast apps read it')
            if self.select == "latest":
                raise ValueError('kind = "podcast" needs select = "all"')
        elif self.podcast is not None:
            raise ValueError('[feeds.podcast] is for kind = "podcast" feeds')
        return self

    @model_validator(mode="after")
    def _latest_has_no_filters(self) -> "FeedSettings":
        if self.select == "latest":
            excluding = [f"exclude_{kind}" for kind in EXCLUDABLE]
            given = [kind for kind in (*LABEL_KINDS, *excluding, "per") if getattr(self, kind)]
            if given:
                raise ValueError(
                    f'{given[0]} needs select = "all": the latest-news list is taken as it is'
                )
        return self

    def filters(self) -> dict[LabelKind, list[str]]:
        """The label filters this feed was given, by kind."""
        return {kind: getattr(self, kind) for kind in LABEL_KINDS if getattr(self, kind)}

    def exclusions(self) -> dict[LabelKind, list[str]]:
        """The labels whose articles this feed leaves out, by kind."""
        found = {kind: getattr(self, f"exclude_{kind}") for kind in EXCLUDABLE}
        return {kind: values for kind, values in found.items() if values}

    @property
    def own_language(self) -> str:
        """The language the feed declares: its one language filter's, else the site's."""
        return self.language[0] if len(self.language) == 1 else ""

    @property
    def archived(self) -> bool:
        """RFC 5005 history pages: for feeds of the store's articles, not of the latest list."""
        return self.archive and self.select == "all"


DEFAULT_FEEDS = (
    FeedSettings(name="main", select="all"),
    FeedSettings(name="latest", title="Example News: latest news", select="latest"),
    FeedSettings(name="category", title="Example News: {value}", per="category"),
)


def _repeated(names: Iterable[str]) -> str:
    seen = list(names)
    return ", ".join(sorted({name for name in seen if seen.count(name) > 1}))


def _as_list(value: object) -> object:
    return [value] if isinstance(value, dict) else value


class Settings(_Section):
    site: SiteSettings = SiteSettings()
    # One [store] table, or a [[store]] list to combine several.
    store: Annotated[list[StoreSettings], BeforeValidator(_as_list), Field(min_length=1)] = [
        StoreSettings()
    ]
    latest: LatestSettings = LatestSettings()
    state: StateSettings = StateSettings()
    publish: Annotated[list[PublishSettings], Field(min_length=1)] = [PublishSettings()]
    schedule: ScheduleSettings = ScheduleSettings()
    server: ServerSettings = ServerSettings()
    websub: WebSubSettings = WebSubSettings()
    api: ApiSettings = ApiSettings()
    feeds: list[FeedSettings] = list(DEFAULT_FEEDS)

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: list[FeedSettings]) -> list[FeedSettings]:
        if dupes := _repeated(feed.name for feed in feeds):
            raise ValueError(f"feed names must be unique; repeated: {dupes}")
        return feeds

    @field_validator("store")
    @classmethod
    def _unique_stores(cls, stores: list[StoreSettings]) -> list[StoreSettings]:
        if dupes := _repeated(store.label for store in stores):
            raise ValueError(f"give each store its own name; repeated: {dupes}")
        labels = {store.label for store in stores}
        for store in stores:
            if store.renamed_from in labels:
                raise ValueError(
                    f"renamed_from: {store.renamed_from!r} is still the name of a store"
                )
        if dupes := _repeated(store.renamed_from for store in stores if store.renamed_from):
            raise ValueError(f"two stores renamed from one: {dupes}")
        return stores

    @field_validator("publish")
    @classmethod
    def _one_local_target(cls, targets: list[PublishSettings]) -> list[PublishSettings]:
        if not any(target.kind == "local" for target in targets):
            raise ValueError(
                "needs a 'local' target: the built-in server serves it and uploads copy it"
            )
        if dupes := _repeated(target.label for target in targets):
            raise ValueError(f"give each target its own name; repeated: {dupes}")
        return targets

    @model_validator(mode="after")
    def _api_store(self) -> "Settings":
        if self.api.store and self.api.store not in {
            store.label for store in self.store if store.kind == "files"
        }:
            raise ValueError(f"api.store: no 'files' store is named {self.api.store!r}")
        return self

    @property
    def public_dir(self) -> Path:
        """The local folder the built-in server serves (the first local target)."""
        return next(target.path for target in self.publish if target.kind == "local")

    @property
    def upload_targets(self) -> list[PublishSettings]:
        """The targets uploads copy the local folder to (S3, WebDAV)."""
        return [target for target in self.publish if target.kind != "local"]

    @property
    def fingerprint(self) -> str:
        """What tells two configs of one site apart (one is in force at a time): all but
        what each machine or process has its own of, its [server] table, the state's
        address and the local folders (secrets are masked)."""
        shared = self.model_dump(mode="json", exclude={"server", "state"})
        shared["publish"] = [t for t in shared["publish"] if t["kind"] != "local"]
        return hashlib.sha256(json.dumps(shared, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def hubs(self) -> list[str]:
        """The hubs feeds advertise: the configured ones, else the built-in one."""
        if self.websub.hubs:
            return self.websub.hubs
        return [self.site.base_url + "websub"] if self.websub.builtin else []


def _key(loc: tuple[str | int, ...]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(top level)"


def _describe(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown setting" + _did_you_mean(error["loc"])
    return str(error["msg"]).removeprefix("Value error, ")


def _did_you_mean(loc: tuple[str | int, ...]) -> str:
    """The known setting nearest an unknown one's spelling ([sever] -> server), if any."""
    model: type[BaseModel] | None = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        model = _model_in(field.annotation) if field else None
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The settings model a field holds (itself, or in a list or union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if found := _model_in(arg):
            return found
    return None


def _resolve(settings: Settings, base: Path) -> Settings:
    def rel(path: Path) -> Path:
        return path if path.is_absolute() else (base / path).resolve()

    def sqlite_rel(url: str) -> str:
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            file = url.removeprefix("sqlite:///")
            if file and not file.startswith(":memory:"):
                return f"sqlite:///{rel(Path(file))}"
        return url

    stores = [
        s.model_copy(update={"path": rel(s.path), "url": sqlite_rel(s.url)}) for s in settings.store
    ]
    return settings.model_copy(
        update={
            "store": stores,
            "latest": settings.latest.model_copy(update={"path": rel(settings.latest.path)}),
            "state": settings.state.model_copy(update={"url": sqlite_rel(settings.state.url)}),
            "publish": [t.model_copy(update={"path": rel(t.path)}) for t in settings.publish],
        }
    )


def load(path: Path) -> Settings:
    """Read and check a config file; paths in it are relative to its folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: config file not found (give --config FILE, set {CONFIG_ENV}, "
            "or make a site with `feedsvc init DIR`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {_key(e['loc'])}: {_describe(e)}" for e in exc.errors()]
        if isinstance(data.get("store"), dict):  # a single [store] table, not a list
            lines = [line.replace(": store[0]", ": store", 1) for line in lines]
        raise ConfigError("\n".join(lines)) from None
    return _resolve(settings, path.parent.resolve())


CONFIG_TEMPLATE = Template(
    """\
# feedsvc site configuration. Every setting is here with its default value.
# Paths are relative to the folder this file is in.

[site]
# The site's name: the title of the main feed and of the index page.
title = "Example News"
# The site's home page, which every feed links to.
url = "https://example.org/"
description = "The latest stories from Example News."
# Language of the articles, an IETF tag such as en, ru or kk.
language = "en"
# Where an article lives on the site; {slug} is made from its headline.
# Latest-news headlines without an article in the store link here too.
article_url = "https://example.org/{slug}/"
# Public address of the feeds: this server, or wherever the publish folder is
# served from. A feed's rel="self" link is this plus feeds/NAME.rss.
base_url = "http://127.0.0.1:8080/"
# Time zone of cron schedules and of dates given without one, e.g. "Asia/Almaty".
timezone = "UTC"
# An article without a summary gets its first paragraph, cut near this many characters.
summary_length = 300
# The site's logo (RSS channel image, Atom logo, JSON Feed icon) and its small
# square icon (Atom icon, JSON Feed favicon): absolute URLs, or empty for none.
image = ""
icon = ""
# A family member (one feed per category, tag, ...) whose last article went stays
# a valid feed with no items this many days, so its subscribers see the removal;
# then it answers 410 Gone and its files are deleted everywhere.
empty_family_days = 30
# Atom feeds announce articles removed from them (RFC 6721 at:deleted-entry)
# this many days.
tombstone_days = 30
# Audio found in article bodies (<audio src=...>) has no stated length, which
# podcast apps need: "off" leaves such episodes out of podcast feeds (with a
# warning); "public" asks the audio's server once, by a 64 KB range request, for
# its length and duration (kept in the state); "any" also asks private addresses.
media_probe = "off"
# X-Robots-Tag sent with feed documents (not the HTML pages), so search engines
# list the site's pages rather than its feeds. Empty: no header.
robots = "noindex"
# Feedly's webfeeds: elements in RSS and Atom: a wide logo (SVG best), a cover
# image (absolute URLs), an accent colour as six hex digits ("C0392B"), and
# related = "card" for Feedly's related-stories cards. Empty: left out.
logo = ""
cover = ""
accent_color = ""
related = ""

[store]
# Where the articles are. Use [[store]] tables instead to combine several.
# kind = "files": a folder of article files, the format told by extension:
# .txt text page; .md Markdown and .html HTML, each with TOML front matter
# between +++ lines; .json one article or a list; .ndjson one article a line.
kind = "files"
# The store's name, which its articles remember (empty: the kind). To rename a
# store, set renamed_from to its old name: its articles keep their GUIDs.
name = ""
renamed_from = ""
path = "$articles"
# A larger file is reported and skipped (bytes).
max_file_size = 1048576
# Formats by folder, whatever the extension, e.g. { "legacy" = "text" }.
formats = {}
# inotify tells which files changed, so a scan after the first stats only those.
# Off for a folder other machines write to (NFS, SMB): the kernel hears nothing.
watch = true
# The language of articles that state none (a text page cannot): for the whole
# store, and by folder, e.g. languages = { "ru" = "ru", "kz" = "kk" }. Empty: the site's.
language = ""
languages = $languages
# kind = "sql": rows of a table or query in an existing database.
#   url = "postgresql+psycopg://feedsvc@db.example.org/news" (a SQLAlchemy URL)
#   table = "articles", or query = "SELECT ... FROM ..."
#   columns = { id = "article_id", title = "headline", body_html = "text" }
# kind = "feed": the items of an existing RSS or Atom feed, ids and dates kept.
#   url = "https://old.example.org/rss.xml"
url = ""
table = ""
query = ""
columns = {}
# feed: seconds to wait for the feed, and how many failed fetches in a row
# make an error (fewer are warnings).
timeout = 10
max_failures = 3

[latest]
# The site's latest-news list, one headline a line ("- " allowed). When it
# lists nothing, the "Latest news" section of the most recently seen article
# page is used instead.
path = "$latest"

[state]
# feedsvc's own database (a SQLAlchemy URL): the identity and dates of every
# article, and the builds. Replicas share a PostgreSQL one:
#   url = "postgresql+psycopg://feedsvc@db.example.org/feedsvc" (PGPASSWORD)
url = "sqlite:///$state"

[[publish]]
# Where built feeds are written; add more [[publish]] tables to upload copies.
# "local": a folder, served by `feedsvc serve` or any web server:
# PATH/feeds/NAME.rss, NAME.atom and NAME.json, each with a .gz (and a .br
# when server.brotli is on). One local target is needed: uploads copy it.
kind = "local"
# The target's name in logs, /healthz and metrics (empty: the kind).
name = ""
path = "$public"
# kind = "s3": any S3-compatible store. Credentials may be given as
# "$${NAME}" to read an environment variable (else boto3's usual ones).
#   bucket = "feeds", prefix = "news/", endpoint_url = "https://s3.example.org"
bucket = ""
prefix = ""
endpoint_url = ""
region = "us-east-1"
access_key = ""
secret_key = ""
# kind = "webdav": HTTP PUT (and MKCOL for folders) below url, with basic auth
# (username, password) or a bearer token; "$${NAME}" reads an environment variable.
#   url = "https://dav.example.org/feeds/", username = "feedsvc", password = "$${DAV_PASSWORD}"
url = ""
username = ""
password = ""
token = ""

[schedule]
# `feedsvc run` rebuilds every `interval` seconds, or on `cron` (a crontab
# expression such as "*/5 * * * *") when that is set.
interval = 60
cron = ""

[server]
host = "127.0.0.1"
port = 8080
# Cache-Control: max-age of feed responses, in seconds.
max_age = 60
# max-age of complete RFC 5005 archive pages (with "immutable"): they change only
# when one of their old articles is edited or taken down.
archive_max_age = 86400
# /healthz says unhealthy when the last good build is older than this (seconds).
health_max_age = 600
# Processes serving requests (`feedsvc run --workers N` overrides); one of them
# runs the schedule.
workers = 1
# MiB of ready feed bodies (with their compressed copies) each worker keeps in
# memory; the least recently served beyond that are read again when asked for.
ready_cache = 64
# Also keep (and publish, as .br) a brotli copy of every file, for clients
# that accept br.
brotli = false
# Full (200) fetches of one file by one client allowed per rate_window
# seconds; past that a 429 with Retry-After. 304 answers are never counted.
# 0 turns the limit off.
rate_limit = 60
rate_window = 60
# Addresses or networks of proxies whose X-Forwarded-For is believed, e.g.
# ["127.0.0.1", "10.0.0.0/8"]; others' is ignored.
trusted_proxies = []
# One JSON line a request on standard error.
access_log = true
# Limits on each connection (SECURITY.md): a request head's bytes (431 over it) and
# seconds (408), a request body's seconds, seconds idle between requests, and the
# connections a worker keeps (at the cap the longest idle is closed; none idle: 503).
header_bytes = 16384
header_timeout = 10
body_timeout = 60
keep_alive = 5
max_connections = 1000

[websub]
# WebSub (https://www.w3.org/TR/websub/): hubs told at once when a feed
# changes, and advertised in every feed and its Link headers.
hubs = []
# The built-in hub at /websub (advertised when hubs is empty): subscribers
# subscribe there and get each new feed body pushed to their callback.
builtin = true
# Callbacks on loopback or private addresses are refused unless this is on.
allow_private_callbacks = false
# Lease given when a subscriber asks for none, and the longest given (seconds).
lease_seconds = 864000
max_lease_seconds = 2592000
# Seconds to wait for a hub or subscriber; a failed delivery or ping is tried
# `retries` more times, waiting retry_delay, then twice that, and so on.
timeout = 10
retries = 5
retry_delay = 2
# A subscription is dropped after this many deliveries failed in a row.
max_failures = 3

[api]
# POST /api/articles and DELETE /api/articles/ID with "Authorization: Bearer
# TOKEN" add, change and remove articles and rebuild at once. Empty: no API.
# "$${NAME}" reads the token from an environment variable.
token = ""
# The 'files' store the API writes into, as STORE_PATH/api/ID.json (empty: the
# first 'files' store).
store = ""

# One [[feeds]] table a feed (or a family of feeds), served at
# /feeds/NAME.rss, NAME.atom and NAME.json, with a readable preview at NAME.html.
#   select: "all" (the store's articles, newest first) or "latest" (the
#     latest-news list, in its order).
#   category, tag, author, region, language: only articles with that label (a
#     name or a list of names, any of which will do; case and spacing don't
#     matter; an article that states no language is in the site's). One
#     language is also the feed's own. match = "all" needs every filter given
#     to hold, "any" one of them.
#   exclude_category, exclude_tag, exclude_author, exclude_region: articles with
#     any of these labels are left out, whatever the filters above say
#     (sponsored content, wire copy).
#   per: "category", "tag", "author", "region" or "language" makes a family: one
#     feed for every value the store has, at /feeds/NAME/VALUE.rss (VALUE
#     slugified, Cyrillic kept), titled by `title` with {value} replaced. The
#     feeds of a language family link each other (hreflang).
#   limit: the most items. content: "full" (the whole article) or "summary".
#   formats: any of "rss", "atom", "json". image: the feed's logo (empty: the
#     site's).
#   archive: RFC 5005 history pages of every article, archive_size items each
#     (feeds with select = "all"); a full page never changes.
#   kind: "news", or "podcast": an RSS feed Apple Podcasts and Spotify take, of
#     the articles with audio they play (an MP3 or M4A in `media`), with the
#     show's details in a [feeds.podcast] table (see the example below).
# An empty title or description takes the site's.
[[feeds]]
name = "main"
kind = "news"
title = ""
description = ""
select = "all"
category = []
tag = []
author = []
region = []
language = []
match = "all"
exclude_category = []
exclude_tag = []
exclude_author = []
exclude_region = []
per = ""
limit = 50
content = "full"
formats = ["rss", "atom", "json"]
image = ""
archive = true
archive_size = 100

[[feeds]]
name = "latest"
title = "Example News: latest news"
select = "latest"

[[feeds]]
name = "category"
title = "Example News: {value}"
per = "category"

# More examples:
# [[feeds]]
# name = "almaty-economy"
# title = "Economy in Almaty"
# category = "Economy"
# region = "Almaty"
# content = "summary"
# [[feeds]]
# name = "author"
# title = "Example News: stories by {value}"
# per = "author"
# [[feeds]]
# name = "radio"
# title = "Example News Radio"
# kind = "podcast"
# [feeds.podcast]
# image = "https://example.org/radio-3000.jpg"
# image_size = 3000            # square, 1400 to 3000 pixels a side
# category = "News"            # Apple's categories and subcategories
# subcategory = "Daily News"
# explicit = false
# author = ""                  # empty: the site's title
# owner_name = "Newsroom"
# owner_email = "podcast@example.org"
# type = "episodic"            # or "serial": listened to in order
# block = false                # true: kept out of directories
# complete = false             # true: no more episodes will come
# locked = false               # true: other hosts may not import it
# guid = ""                    # empty: derived from the feed's URL
"""
)


def render_template(
    *, articles: str, latest: str, state: str, public: str, languages: str = "{}"
) -> str:
    """The commented config.toml that `feedsvc init` writes."""
    return CONFIG_TEMPLATE.substitute(
        articles=articles, latest=latest, state=state, public=public, languages=languages
    )
