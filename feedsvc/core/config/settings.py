"""The whole config file: its tables, the checks across them, and reading it."""

import difflib
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from feedsvc.core.config.api import ApiSettings
from feedsvc.core.config.base import Section, repeated
from feedsvc.core.config.feeds import DEFAULT_FEEDS, FeedSettings
from feedsvc.core.config.publish import PublishSettings
from feedsvc.core.config.server import ScheduleSettings, ServerSettings
from feedsvc.core.config.site import SiteSettings
from feedsvc.core.config.store import LatestSettings, StateSettings, StoreSettings
from feedsvc.core.config.websub import WebSubSettings
from feedsvc.core.envvars import CONFIG_ENV


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and why."""


def _as_list(value: object) -> object:
    return [value] if isinstance(value, dict) else value


class Settings(Section):
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
        if dupes := repeated(feed.name for feed in feeds):
            raise ValueError(f"feed names must be unique; repeated: {dupes}")
        return feeds

    @field_validator("store")
    @classmethod
    def _unique_stores(cls, stores: list[StoreSettings]) -> list[StoreSettings]:
        if dupes := repeated(store.label for store in stores):
            raise ValueError(f"give each store its own name; repeated: {dupes}")
        labels = {store.label for store in stores}
        for store in stores:
            if store.renamed_from in labels:
                raise ValueError(
                    f"renamed_from: {store.renamed_from!r} is still the name of a store"
                )
        if dupes := repeated(store.renamed_from for store in stores if store.renamed_from):
            raise ValueError(f"two stores renamed from one: {dupes}")
        return stores

    @field_validator("publish")
    @classmethod
    def _one_local_target(cls, targets: list[PublishSettings]) -> list[PublishSettings]:
        if not any(target.kind == "local" for target in targets):
            raise ValueError(
                "needs a 'local' target: the built-in server serves it and uploads copy it"
            )
        if dupes := repeated(target.label for target in targets):
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
        model = model_in(field.annotation) if field else None
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def model_in(annotation: object) -> type[BaseModel] | None:
    """The settings model a field holds (itself, or in a list or union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if found := model_in(arg):
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
