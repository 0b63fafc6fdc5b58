"""Label conditions: numeric columns of the user's training file (a measured pIC50, a solubility class).

:func:`read_labels` streams the file with :func:`molgan.data.readers.iter_records` (same formats and
delimiter sniffing as the data loader; an SD file's tags count as columns) and keys each record by the
canonical SMILES of its molecule after the fragment policy (:func:`molgan.chem.mol.canonical_key`), the
first record of a molecule winning as in the data loader's de-duplication. :meth:`LabelTable.align`
gives the labels of a data set's (canonical) ``smiles``. A value that is empty or not a (finite) number
is NaN: that molecule is not trained on. Column names are case-sensitive; a name that is an RDKit property
in any case (``qed``, ``LogP``) means the property, never a column.

A conditional model's checkpoint stores its :class:`LabelSource` (JSON) so that ``molgan prior`` finds
the labels again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from molgan.chem.mol import canonical_key
from molgan.data.readers import iter_records
from molgan.errors import InputError

#: Column names shown in an error (a wide file has hundreds).
SHOWN_COLUMNS = 20


@dataclass(frozen=True)
class LabelSource:
    """The label ``columns`` of the file at ``path`` and how the data loader read it."""

    path: str
    columns: tuple[str, ...]
    smiles_column: str | None = None
    delimiter: str | None = None
    fragments: str = "skip"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"columns": list(self.columns)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LabelSource:
        return cls(**{**data, "columns": tuple(data["columns"])})


@dataclass
class LabelTable:
    """The labels of a file: ``values [R, C]`` float64 (column ``c`` = ``source.columns[c]``, NaN where the
    record's value is empty or not a number), ``rows`` maps a canonical SMILES to its first record's row.

    ``not_numbers[column]`` counts those records whose value in ``column`` is empty or not a number.
    """

    source: LabelSource
    rows: dict[str, int]
    values: np.ndarray
    not_numbers: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.source.columns

    def align(self, smiles: Sequence[str]) -> np.ndarray:
        """The labels ``[M, C]`` of molecules given as canonical SMILES (NaN for a molecule not in the file)."""
        out = np.full((len(smiles), len(self.columns)), np.nan)
        for i, key in enumerate(smiles):
            row = self.rows.get(key)
            if row is not None:
                out[i] = self.values[row]
        return out


def read_labels(source: LabelSource) -> LabelTable:
    """Read the label columns of ``source`` (one pass over the file, each molecule parsed once).

    A column that no record has raises :class:`InputError` naming the columns the file has; a column
    without a single number raises :class:`InputError` too. Both are one line.
    """
    rows: dict[str, int] = {}
    values: list[list[float]] = []
    not_numbers = dict.fromkeys(source.columns, 0)
    seen: dict[str, None] = {}  # every column (or SD tag) met, in file order
    records = iter_records(
        source.path, source.smiles_column, keep_fragments=source.fragments, delimiter=source.delimiter,
    )
    for record in records:
        seen.update(dict.fromkeys(record.fields))
        if record.mol is None:
            continue
        key = canonical_key(record.mol)
        if key in rows:
            continue  # the first record of a molecule wins
        row = [_number(record.fields.get(column)) for column in source.columns]
        for column, value in zip(source.columns, row):
            not_numbers[column] += math.isnan(value)
        rows[key] = len(values)
        values.append(row)
    _check_columns(source, seen)
    table = np.array(values, dtype=np.float64).reshape(len(values), len(source.columns))
    empty = [c for c, column in zip(source.columns, table.T) if not np.isfinite(column).any()]
    if empty:
        raise InputError(f"{source.path}: no molecule has a numeric {empty[0]!r} (every value is empty or not a number)")
    return LabelTable(source, rows, table, not_numbers)


def _number(text: str | None) -> float:
    """A label's value: the finite number ``text`` spells, else NaN (empty, not a number, inf, nan)."""
    try:
        value = float(text.strip()) if text is not None else math.nan
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def _check_columns(source: LabelSource, seen: dict[str, None]) -> None:
    missing = [c for c in source.columns if c not in seen]
    if not missing:
        return
    names = list(seen)
    shown = ", ".join(names[:SHOWN_COLUMNS]) + (" ..." if len(names) > SHOWN_COLUMNS else "")
    raise InputError(
        f"unknown condition {missing[0]!r}: not an RDKit property and not a column of {source.path} "
        f"(columns besides the SMILES: {shown or 'none'}; names are case-sensitive)"
    )
