"""Load a reward from TOML (a file or a shipped preset), checking every key and value.

A reward file::

    aggregation = "geometric"     # or "arithmetic" (the default)
    invalid_score = 0.0           # the total of an invalid molecule (the default)

    [[component]]
    name = "qed"                  # one of COMPONENTS
    weight = 1.0                  # >= 0 (default 1)

    [[component]]
    name = "mw"
    weight = 0.5
    transform = { type = "double_sigmoid", low = 200, high = 500, coef_div = 500, coef_si = 20, coef_se = 20 }

    [[component]]
    name = "tanimoto"
    label = "sim_ethanol"         # column name (default: name)
    params = { smiles = ["CCO"] } # or { path = "refs.smi" }, relative to this file

Unknown keys anywhere, and bad values, raise :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from molgan.errors import ConfigError
from molgan.scoring.components import COMPONENTS
from molgan.validate import build as build_params
from molgan.scoring.reward import Reward, Term
from molgan.scoring.transforms import TRANSFORMS

#: Rewards shipped with molgan, loadable by name (``molgan score --reward druglike``).
PRESETS = ("qed", "qed-clean", "logp", "sa", "druglike")

_TOP_KEYS = ("aggregation", "invalid_score", "description", "component")
_COMPONENT_KEYS = ("name", "label", "weight", "params", "transform")


def load_reward(name_or_path: str | os.PathLike) -> Reward:
    """A preset by name (see :data:`PRESETS`) or a TOML file by path.

    A bare name such as ``"qed"`` is a preset; anything with a ``/`` or a ``.toml`` suffix is a path.
    """
    text = os.fspath(name_or_path)
    if text in PRESETS:
        source = resources.files("molgan.scoring") / "presets" / f"{text}.toml"
        return reward_from_dict(_parse_toml(source.read_text(encoding="utf-8"), f"preset {text!r}"), f"preset {text!r}")
    path = Path(text).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"no reward preset or file named {text!r}; presets: {', '.join(PRESETS)}; or give a .toml file"
        )
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return reward_from_dict(_parse_toml(content, str(path)), str(path), base_dir=path.resolve().parent)


def reward_from_dict(data: Mapping[str, Any], source: str = "<dict>", base_dir: Path | None = None) -> Reward:
    """Build a reward from a TOML-shaped mapping; ``source`` names it in error messages, ``base_dir``
    resolves relative file paths in component parameters.
    """
    _refuse_unknown(data, _TOP_KEYS, source)
    aggregation = data.get("aggregation", "arithmetic")
    if not isinstance(aggregation, str):
        raise ConfigError(f"{source}: aggregation must be a string, got {aggregation!r}")
    invalid_score = data.get("invalid_score", 0.0)
    if isinstance(invalid_score, bool) or not isinstance(invalid_score, (int, float)):
        raise ConfigError(f"{source}: invalid_score must be a number, got {invalid_score!r}")
    tables = data.get("component")
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{source}: needs at least one [[component]] table")
    terms = [_term(i, table, source, base_dir) for i, table in enumerate(tables, start=1)]
    try:
        return Reward(terms, aggregation=aggregation, invalid_score=invalid_score)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _term(index: int, table: Any, source: str, base_dir: Path | None) -> Term:
    where = f"{source}: component {index}"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table, got {table!r}")
    name = table.get("name")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: needs a name, one of: {', '.join(COMPONENTS)}")
    if name not in COMPONENTS:
        raise ConfigError(f"{where}: unknown component {name!r}; known: {', '.join(COMPONENTS)}")
    where = f"{where} ({name!r})"
    _refuse_unknown(table, _COMPONENT_KEYS, where)
    label = table.get("label")
    if label is not None and (not isinstance(label, str) or not label):
        raise ConfigError(f"{where}: label must be a non-empty string, got {label!r}")
    weight = table.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight >= 0:
        raise ConfigError(f"{where}: weight must be a number >= 0, got {weight!r}")
    params = table.get("params", {})
    if not isinstance(params, Mapping):
        raise ConfigError(f"{where}: params must be a table, got {params!r}")
    params = build_params(COMPONENTS[name].Params, params, f"{where}: params", base_dir)
    transform = None
    if "transform" in table:
        transform = _transform(table["transform"], f"{where}: transform")
    return Term(name=name, params=params, weight=float(weight), transform=transform, label=label)


def _transform(table: Any, where: str):
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: expected a table such as {{ type = \"sigmoid\", low = 0, high = 1 }}")
    kind = table.get("type")
    if kind not in TRANSFORMS:
        raise ConfigError(f"{where}: unknown type {kind!r}; known: {', '.join(TRANSFORMS)}")
    values = {k: v for k, v in table.items() if k != "type"}
    return build_params(TRANSFORMS[kind], values, f"{where} ({kind})")


def _refuse_unknown(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = [k for k in table if k not in known]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(known)}")


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
