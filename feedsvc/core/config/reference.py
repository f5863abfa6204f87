"""Every setting's key, default and meaning, from the models' own docstrings: the
reference table in docs/configuration.md, and the commented config.toml that
`feedsvc init` writes (with the kinds of store and target it uses, and no others)."""

import ast
import functools
import inspect
import json
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
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


@functools.cache
def _docstrings(model: type[BaseModel]) -> dict[str, str]:
    """Each field's docstring, the string under it in its class's source (or a base's)."""
    found: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not issubclass(cls, BaseModel) or cls is BaseModel:
            continue
        body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0]
        assert isinstance(body, ast.ClassDef)
        for node, after in zip(body.body, body.body[1:], strict=False):
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                found[node.target.id] = after.value.value
    return found


def _meaning(model: type[BaseModel], name: str) -> str:
    return " ".join(_docstrings(model).get(name, "").split())


def _rows(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str, str]]:
    for name, field in model.model_fields.items():
        inner = model_in(field.annotation)
        key = f"{prefix}{name}"
        if inner is not None:
            yield from _rows(inner, f"{key}.")
            continue
        default = "(required)" if field.default is PydanticUndefined else toml_value(field.default)
        yield key, default, _meaning(model, name)


def reference_table() -> str:
    """The Markdown table of every setting: key, default, meaning."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for key, default, meaning in _rows(Settings, ""):
        section = key.partition(".")[0]
        shown = f"`[[{section}]]` `{key.partition('.')[2]}`" if section in _LISTS else f"`{key}`"
        cell = meaning.replace("|", "\\|")
        lines.append(f"| {shown} | `{default}` | {cell} |")
    return "\n".join(lines) + "\n"


def _comment(model: type[BaseModel], name: str) -> list[str]:
    meaning = _meaning(model, name)
    return textwrap.wrap(meaning, 86, initial_indent="# ", subsequent_indent="# ")


def _table(header: str, model: BaseModel, keys: list[str], documented: bool) -> list[str]:
    lines = [header]
    for name in keys:
        if documented:
            lines += _comment(type(model), name)
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
    for section in Settings.model_fields:
        if section == "feeds":
            continue
        value = getattr(settings, section)
        parts.append("")
        if section in _LISTS:
            for item in value:
                parts += _table(f"[[{section}]]", item, _kind_keys(section, item), True)
        else:
            parts += _comment(Settings, section)
            parts += _table(f"[{section}]", value, list(type(value).model_fields), True)
    every = [name for name in FeedSettings.model_fields if name != "podcast"]
    for index, feed in enumerate(feeds):
        keys = every if index == 0 else [n for n in every if n in feed.model_fields_set]
        parts += ["", *_table("[[feeds]]", feed, keys, index == 0)]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":  # python -m feedsvc.core.config.reference > the table
    print(reference_table(), end="")
