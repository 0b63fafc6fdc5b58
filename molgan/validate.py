"""One validator for every typed parameter block: dataclasses built from TOML tables, checked by field metadata.

A field declares its range and choices once, with :func:`knob` (``ge``, ``gt``, ``le``, ``lt``,
``choices``); :func:`build` turns a mapping into the dataclass (refusing unknown keys, checking types,
recursing into nested dataclass fields) and :func:`check` checks every declared range and choice,
naming the full key (``train.critic.n_critic must be >= 1, got 0``). Used by :mod:`molgan.config`
and by the scoring components' parameter blocks (:mod:`molgan.scoring.config`, :mod:`molgan.scoring.reward`).
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from molgan.errors import ConfigError

T = TypeVar("T")

#: Bound keyword -> (comparison that must hold, how the message states it).
_BOUNDS = {
    "ge": (operator.ge, ">="),
    "gt": (operator.gt, ">"),
    "le": (operator.le, "<="),
    "lt": (operator.lt, "<"),
}


def knob(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING, choices: tuple | None = None,
         **bounds: float) -> Any:
    """A dataclass field with its range (``ge=1``, ``lt=1.0``, ...) and choices declared in its metadata."""
    unknown = set(bounds) - set(_BOUNDS)
    if unknown:  # pragma: no cover - programming error
        raise TypeError(f"unknown bound(s) {sorted(unknown)}")
    metadata = {"bounds": bounds, "choices": choices}
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def check(obj: Any, where: str) -> None:
    """Check every field's declared range and choices (and nested dataclasses), naming ``where.field``."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        key = f"{where}.{f.name}" if where else f.name
        if dataclasses.is_dataclass(value):
            check(value, key)
            continue
        choices = f.metadata.get("choices")
        if choices is not None and value not in choices:
            raise ConfigError(f"{key} must be one of {list(choices)}, got {value!r}")
        if value is None:
            continue
        for name, bound in f.metadata.get("bounds", {}).items():
            holds, symbol = _BOUNDS[name]
            items = value if isinstance(value, tuple) else (value,)
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
                raise ConfigError(f"{key} must be a number, got {value!r}")
            if isinstance(value, tuple) and not value:
                raise ConfigError(f"{key} must be a non-empty list, got []")
            if not all(holds(v, bound) for v in items):
                raise ConfigError(f"{key} must be {symbol} {bound}, got {value!r}")


def build(cls: type[T], values: Mapping[str, Any] | None, where: str, base_dir: Path | None = None,
          hint: Any = None) -> T:
    """Build ``cls`` (a dataclass) from ``values``; unknown or missing keys and bad types raise ConfigError.

    Nested dataclass fields take a nested mapping. Fields whose metadata has ``path=True`` name files:
    a relative path is resolved against ``base_dir``. ``hint`` (optional) is appended to the
    unknown-key message, e.g. to name where a misplaced key belongs.
    """
    if values is not None and not isinstance(values, Mapping):
        raise ConfigError(f"{where} must be a table, got {values!r}")
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        extra = hint(unknown[0]) if hint is not None else None
        known = ", ".join(sorted(fields)) or "none"
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; " + (extra or f"known keys: {known}"))
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
        if dataclasses.is_dataclass(hints[name]):
            value = build(hints[name], value, f"{where}.{name}", base_dir, hint)
        else:
            value = coerce(value, hints[name], f"{where}: {name}")
        if fields[name].metadata.get("path") and value is not None and base_dir is not None:
            value = str((base_dir / Path(value).expanduser()).resolve())
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def coerce(value: Any, hint: Any, where: str) -> Any:
    """Check ``value`` against a type hint (float, int, str, bool, tuple[X, ...], X | None)."""
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
    """The dataclass as a TOML-ready mapping: tuples become lists, nested blocks tables, ``None`` fields are left out."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if value is None:
            continue
        if dataclasses.is_dataclass(value):
            value = to_mapping(value)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out
