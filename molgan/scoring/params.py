"""Typed parameter blocks: build a frozen dataclass from a TOML table, refusing unknown keys.

Every scoring component and transform declares its parameters as a frozen dataclass. This module
turns a mapping (a TOML table, or keyword arguments in Python) into that dataclass, checking keys
and types; the dataclass's own ``__post_init__`` checks the values (``low < high`` and so on).
Fields whose metadata has ``path=True`` name files: a relative path is resolved against
``base_dir`` (the directory of the TOML file it came from).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from molgan.errors import ConfigError

T = TypeVar("T")


def build_params(cls: type[T], values: Mapping[str, Any] | None, where: str, base_dir: Path | None = None) -> T:
    """Build ``cls`` (a dataclass) from ``values``; unknown or missing keys and bad types raise ConfigError.

    ``where`` names the place in the config for error messages, e.g. ``"reward.toml: component 2 ('mw')"``.
    """
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields)) or "none"
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {known}")
    missing = [
        name
        for name, f in fields.items()
        if name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ConfigError(f"{where}: missing key {missing[0]!r}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in values.items():
        value = coerce(value, hints[name], f"{where}: {name}")
        if fields[name].metadata.get("path") and value is not None and base_dir is not None:
            value = str((base_dir / Path(value).expanduser()).resolve())
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def coerce(value: Any, hint: Any, where: str) -> Any:
    """Check ``value`` against a type hint (float, int, str, bool, tuple[str, ...], X | None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None:
            return None
        return coerce(value, options[0], where)
    if origin is tuple:
        (item_hint, _ellipsis) = typing.get_args(hint)
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return tuple(coerce(v, item_hint, f"{where}[{i}]") for i, v in enumerate(value))
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise TypeError(f"{where}: unsupported parameter type {hint!r}")  # pragma: no cover - programming error


def to_mapping(params: Any) -> dict[str, Any]:
    """The dataclass as a TOML-ready mapping: tuples become lists, ``None`` fields are left out."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if value is None:
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out
