"""Typed parameter blocks: build a frozen dataclass from a TOML table, refusing unknown keys.

Every scoring component and transform declares its parameters as a frozen dataclass; the one
validator of :mod:`molgan.validate` turns a mapping (a TOML table, or keyword arguments in Python)
into that dataclass, checking keys and types; the dataclass's own ``__post_init__`` checks the values
(``low < high`` and so on). Fields whose metadata has ``path=True`` name files: a relative path is
resolved against ``base_dir`` (the directory of the TOML file it came from).
"""

from __future__ import annotations

from molgan.validate import build as build_params, coerce, to_mapping

__all__ = ["build_params", "coerce", "to_mapping"]
