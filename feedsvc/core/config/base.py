"""What every settings table shares: unknown keys refused, values frozen, each key's
meaning in the docstring under it (the reference in docs/ and `feedsvc init`'s file are
made from them), and the checks several tables use."""

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr


class Section(BaseModel):
    # strict: "8095" is not a port; paths, secrets and numbers say so where they differ.
    # (Not use_attribute_docstrings: pydantic would parse every model's source at each
    # start, 0.1 s of every command; the reference reads them when it is made.)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def absolute_http_url(value: str) -> str:
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

# A path in the file is a string; relative ones are taken from the config's folder.
FilePath = Annotated[Path, Field(strict=False)]

# A feed's own words, bounded so that a document always fits the size readers take once
# its items give way (feeds/documents.py).
Title = Annotated[str, Field(max_length=500)]
Description = Annotated[str, Field(max_length=10_000)]


def own_fields(fields: dict[str, set[str]], kind: str) -> set[str]:
    """The settings of a store or target of this kind: its own and every kind's."""
    return fields[kind] | {"kind", "name", "renamed_from"}


def only_fields_of_kind(model: BaseModel, fields: dict[str, set[str]], noun: str) -> None:
    """A table of one kind (store or target) may not set another kind's settings."""
    kind = model.kind  # type: ignore[attr-defined]
    mine = own_fields(fields, kind)
    for other in model.model_fields_set - mine:
        if getattr(model, other) != type(model).model_fields[other].default:
            raise ValueError(f"{other} is not a setting of a {kind!r} {noun}")


def repeated(names: Iterable[str]) -> str:
    seen = list(names)
    return ", ".join(sorted({name for name in seen if seen.count(name) > 1}))
