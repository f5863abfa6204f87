"""Every setting's key, default and meaning, from the models' own docstrings: the
reference table in docs/configuration.md, and the commented config.toml that
`feedsvc init` writes (with the kinds of store and target it uses, and no others)."""

import json
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from feedsvc.core.config.base import own_fields
from feedsvc.core.config.feeds import DEFAULT_FEEDS, FeedSettings
from feedsvc.core.config.publish import PUBLISH_FIELDS
from feedsvc.core.config.settings import Settings, model_in
from feedsvc.core.config.store import STORE_FIELDS

# Tables that are lists ([[store]], [[publish]], [[feeds]]): their rows name them so.
_LISTS = {"store", "publish", "feeds"}
_KINDS = {"store": STORE_FIELDS, "publish": PUBLISH_FIELDS}


def toml_value(value: Any) -> str:
    """A setting's value as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, SecretStr):
        return '""'
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        pairs = ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    raise TypeError(f"no TOML for {value!r}")


def _meaning(field: FieldInfo) -> str:
    return " ".join((field.description or "").split())


def _rows(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str, str]]:
    for name, field in model.model_fields.items():
        inner = model_in(field.annotation)
        key = f"{prefix}{name}"
        if inner is not None:
            yield from _rows(inner, f"{key}.")
            continue
        default = "(required)" if field.default is PydanticUndefined else toml_value(field.default)
        yield key, default, _meaning(field)


def reference_table() -> str:
    """The Markdown table of every setting: key, default, meaning."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for key, default, meaning in _rows(Settings, ""):
        section = key.partition(".")[0]
        shown = f"`[[{section}]]` `{key.partition('.')[2]}`" if section in _LISTS else f"`{key}`"
        cell = meaning.replace("|", "\\|")
        lines.append(f"| {shown} | `{default}` | {cell} |")
    return "\n".join(lines) + "\n"


def _comment(field: FieldInfo) -> list[str]:
    return textwrap.wrap(_meaning(field), 86, initial_indent="# ", subsequent_indent="# ")


def _table(header: str, model: BaseModel, keys: list[str], documented: bool) -> list[str]:
    lines = [header]
    for name in keys:
        field = type(model).model_fields[name]
        if documented:
            lines += _comment(field)
        lines.append(f"{name} = {toml_value(getattr(model, name))}")
    return lines


def _kind_keys(section: str, model: BaseModel) -> list[str]:
    """The keys of a store's or target's own kind (and those every kind has)."""
    mine = own_fields(_KINDS[section], model.kind)  # type: ignore[attr-defined]
    return [name for name in type(model).model_fields if name in mine]


def config_toml(settings: Settings, feeds: tuple[FeedSettings, ...] = DEFAULT_FEEDS) -> str:
    """The commented config.toml of these settings: each key with its meaning, the
    first [[feeds]] table with all of its keys, the others with what they set."""
    parts = [
        "# feedsvc site configuration: every setting with its meaning. Paths are relative",
        "# to the folder this file is in. Every key, and the kinds of store and publish",
        "# target not used here (sql, feed; s3, webdav): docs/configuration.md.",
    ]
    for section, field in Settings.model_fields.items():
        if section == "feeds":
            continue
        value = getattr(settings, section)
        parts.append("")
        if section in _LISTS:
            for item in value:
                parts += _table(f"[[{section}]]", item, _kind_keys(section, item), True)
        else:
            header = f"[{section}]"
            parts += _comment(field) if field.description else []
            parts += _table(header, value, list(type(value).model_fields), True)
    every = [name for name in FeedSettings.model_fields if name != "podcast"]
    for index, feed in enumerate(feeds):
        keys = every if index == 0 else [n for n in every if n in feed.model_fields_set]
        parts += ["", *_table("[[feeds]]", feed, keys, index == 0)]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":  # python -m feedsvc.core.config.reference > the table
    print(reference_table(), end="")
