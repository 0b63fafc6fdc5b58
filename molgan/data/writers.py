"""Write molecules to ``.smi``, ``.csv`` or ``.sdf`` files (each optionally ``.gz``) or to stdout.

The format follows the extension of the path the user named::

    with open_writer("hits.csv", properties=["qed", "logp"]) as writer:
        writer.write("CCO")                      # properties computed from the SMILES
        writer.write(None)                       # an invalid sample: empty ``smiles`` cell
        writer.write("c1ccccc1", props={"id": "b"})

Writers stream: each row goes straight to disk, so million-row outputs keep memory bounded.
Files are written atomically: rows go to a hidden temporary file next to the output, which replaces
the output only when the ``with`` block ends without an exception; otherwise the temporary file
is removed and any existing output is left untouched. An existing output is refused unless
``force=True``. ``-`` writes SMILES lines (plus tab-separated values, if any) to standard output.

Formats:

- ``.smi``: one SMILES a line, extra columns as tab-separated values after it, no header line (a
  SMILES file has none); ``-`` (standard output) has a ``smiles<TAB>...`` header line when there
  are extra columns. An invalid row is an empty SMILES field.
- ``.csv``: a ``smiles`` header column, then ``columns``, then ``properties``; an invalid row has an
  empty ``smiles`` cell, so rows stay in input order. Missing values and NaN are empty cells.
- ``.sdf``: one record per row with the SMILES and every value as SD tags, the ID/name column (see
  :data:`TITLE_COLUMNS`), if there is one, as the title line; no coordinates are computed (the
  molblocks have zero coordinates). An invalid row is an empty (zero-atom) record,
  so record ``i`` is still row ``i``.

Floats are written rounded to :data:`DECIMALS` decimals (``117.104``, not ``117.10399999999998``).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import math
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
from rdkit import Chem

from molgan.chem.mol import to_mol
from molgan.data.atomic import atomic_file
from molgan.errors import InputError
from molgan.chem.properties import PROPERTIES


Mol = Chem.Mol

#: Output formats by extension (after removing an optional ``.gz``).
FORMATS: tuple[str, ...] = (".smi", ".csv", ".sdf")

STDOUT = "-"

#: Decimals a float is written with (CSV cells, SD tags, tab-separated values).
DECIMALS = 4

#: Column names (any case) that name a record: the first one present is an SD record's title line.
TITLE_COLUMNS = ("name", "id", "title", "_name")

_CHUNK = 1024  # rows per batch of property computation in ``write_many``


# --------------------------------------------------------------------------------------------
# Path checks and atomic replacement (shared with molgan.evaluation.draw)
# --------------------------------------------------------------------------------------------


def output_format(path: str | Path) -> tuple[str, bool]:
    """Return ``(format, gzipped)`` for an output path, e.g. ``(".csv", True)`` for ``a.csv.gz``.

    ``"-"`` is ``(".smi", False)`` (SMILES lines to stdout). Unknown extensions raise
    :class:`~molgan.errors.InputError`.
    """
    if str(path) == STDOUT:
        return ".smi", False
    suffixes = [s.lower() for s in Path(path).suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    fmt = suffixes[-1] if suffixes else ""
    if fmt not in FORMATS:
        known = ", ".join(FORMATS)
        raise InputError(
            f"cannot tell the output format of {Path(path).name!r}: use {known} (optionally .gz) "
            f"or - for standard output"
        )
    return fmt, gz


def check_output_path(path: str | Path, *, force: bool = False) -> Path:
    """Check that ``path`` can be written: its directory exists and it is not a directory.

    An existing file raises :class:`~molgan.errors.InputError` unless ``force`` is true.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a directory; give a file name")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"directory {parent} does not exist (needed for {path.name})")
    if path.exists() and not force:
        raise InputError(f"{path} exists; use --force to overwrite")
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """:func:`molgan.data.atomic.atomic_file` for an output file the user named.

    Without ``force``, an existing ``path`` is refused both before and after the block (so a file
    that appeared meanwhile is not clobbered).
    """
    with atomic_file(check_output_path(path, force=force), overwrite=force) as tmp:
        yield tmp


# --------------------------------------------------------------------------------------------
# Value formatting
# --------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell: ``""`` for missing/NaN, floats rounded to :data:`DECIMALS` decimals, ``str`` otherwise."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return "" if math.isnan(value) else repr(round(value, DECIMALS) + 0.0)  # + 0.0: no "-0.0"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def input_column_name(name: str, taken: Collection[str]) -> str:
    """``input_<name>`` (prefixed again while taken): what an input column becomes when a computed column
    (a property, a score) has its name, so that no input value is overwritten silently."""
    new = "input_" + name
    while new in taken:
        new = "input_" + new
    return new


def check_properties(names: Iterable[str]) -> list[str]:
    """Return the property names as a list; unknown names raise :class:`InputError`."""
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in PROPERTIES]
    if unknown:
        raise InputError(
            f"unknown propert{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
            f"known: {', '.join(PROPERTIES)}"
        )
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------------------------
# Formats: each turns rows into text on an open text stream
# --------------------------------------------------------------------------------------------


class _SmiFormat:
    def __init__(self, stream: IO[str], columns: Sequence[str], header: bool = True) -> None:
        self.stream = stream
        self.columns = list(columns)
        if self.columns and header:
            stream.write("\t".join(["smiles", *self.columns]) + "\n")

    def row(self, smiles: str, mol: Mol | None, values: Mapping[str, Any]) -> None:
        fields = [smiles] + [_one_line(cell_text(values.get(c))).replace("\t", " ") for c in self.columns]
        self.stream.write("\t".join(fields) + "\n")


class _CsvFormat:
    def __init__(self, stream: IO[str], columns: Sequence[str], header: bool = True) -> None:
        self.columns = list(columns)
        self.writer = csv.writer(stream, lineterminator="\n")
        if header:
            self.writer.writerow(["smiles", *self.columns])

    def row(self, smiles: str, mol: Mol | None, values: Mapping[str, Any]) -> None:
        self.writer.writerow([smiles] + [cell_text(values.get(c)) for c in self.columns])


class _SdfFormat:
    def __init__(self, stream: IO[str], columns: Sequence[str], header: bool = True) -> None:
        self.stream = stream
        self.columns = list(columns)
        lowered = {c.lower(): c for c in reversed(self.columns)}
        self.title = next((lowered[t] for t in TITLE_COLUMNS if t in lowered), None)

    def row(self, smiles: str, mol: Mol | None, values: Mapping[str, Any]) -> None:
        if mol is None:
            mol = to_mol(smiles)
        try:
            block = Chem.MolToMolBlock(mol) if mol is not None else Chem.MolToMolBlock(Chem.Mol())
        except Exception:  # e.g. a molecule RDKit cannot kekulize: keep the row, without atoms
            block = Chem.MolToMolBlock(Chem.Mol())
        if self.title is not None:
            block = _one_line(cell_text(values.get(self.title))) + block[block.index("\n"):]
        out = [block]
        tags = {"smiles": smiles, **{c: values.get(c) for c in self.columns}}
        for tag, value in tags.items():
            text = _one_line(cell_text(value))
            out.append(f">  <{tag}>\n{text}\n\n")
        out.append("$$$$\n")
        self.stream.write("".join(out))


_FORMAT_CLASSES = {".smi": _SmiFormat, ".csv": _CsvFormat, ".sdf": _SdfFormat}


# --------------------------------------------------------------------------------------------
# The writer
# --------------------------------------------------------------------------------------------


class MoleculeWriter:
    """Streams rows of (SMILES, molecule, values) to one output; use it as a context manager.

    Columns are ``smiles``, then ``columns`` (values taken from ``props``), then ``properties``
    (names from :data:`molgan.chem.properties.PROPERTIES`, computed from the molecule unless ``props``
    already holds them). Values in ``props`` that are not columns raise ``ValueError``, so nothing is
    dropped silently. ``header=False`` leaves out the header line (a later shard of one output).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        properties: Sequence[str] = (),
        force: bool = False,
        columns: Sequence[str] = (),
        header: bool = True,
    ) -> None:
        self.path = str(path)
        self.header = header
        self.format, self.gzipped = output_format(path)
        self.properties = check_properties(properties)
        columns = [c for c in dict.fromkeys(columns) if c != "smiles"]
        self.columns = columns + [p for p in self.properties if p not in columns]
        self.force = force
        self.n_written = 0
        self._stack: contextlib.ExitStack | None = None
        self._formatter: Any = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> MoleculeWriter:
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def open(self) -> None:
        """Open the output (a temporary file until :meth:`close`)."""
        if self._stack is not None:
            raise RuntimeError("writer is already open")
        stack = contextlib.ExitStack()
        try:
            if self.path == STDOUT:
                stream: IO[str] = sys.stdout
            else:
                tmp = stack.enter_context(atomic_path(self.path, force=self.force))
                if self.gzipped:
                    raw = stack.enter_context(gzip.open(tmp, "wb", compresslevel=6))  # 9 costs ~12 % of sampling CPU
                    stream = stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
                else:
                    stream = stack.enter_context(open(tmp, "w", encoding="utf-8", newline=""))
            header = self.header and (self.format != ".smi" or self.path == STDOUT)  # a .smi file has no header
            self._formatter = _FORMAT_CLASSES[self.format](stream, self.columns, header)
        except BaseException:
            stack.__exit__(*sys.exc_info())
            raise
        self._stack = stack

    def close(self) -> None:
        """Finish the output: flush it and move it into place."""
        if self._stack is None:
            return
        stack, self._stack = self._stack, None
        if self.path == STDOUT:
            sys.stdout.flush()
        stack.close()

    def abort(self) -> None:
        """Drop everything written so far: the temporary file is removed, the output untouched."""
        if self._stack is None:
            return
        stack, self._stack = self._stack, None
        try:
            raise _Aborted
        except _Aborted:
            stack.__exit__(*sys.exc_info())  # the temporary file is removed by atomic_path

    # -- rows ----------------------------------------------------------------------------------

    def write(self, smiles: str | None, mol: Mol | None = None, props: Mapping[str, Any] | None = None) -> None:
        """Write one row; ``smiles=None`` or ``""`` writes an invalid row (empty SMILES)."""
        values = dict(props or {})
        missing = [p for p in self.properties if p not in values]
        if missing:
            if mol is None:
                mol = to_mol(smiles)
            for name in missing:
                values[name] = PROPERTIES[name]([mol])[0]
        self._write_row(smiles, mol, values)

    def write_many(
        self,
        smiles: Iterable[str | None],
        mols: Iterable[Mol | None] | None = None,
        props: Iterable[Mapping[str, Any]] | Mapping[str, Sequence[Any]] | None = None,
    ) -> int:
        """Write many rows, computing properties in batches; return the number of rows written.

        ``props`` is either one mapping per row or a mapping of columns (name -> sequence of values,
        as returned by :func:`molgan.chem.properties.compute`).
        """
        n = 0
        if isinstance(props, Mapping):
            column_values = props
            props_rows: Iterator[Mapping[str, Any] | None] = (
                {k: v[i] for k, v in column_values.items()} for i in _count()
            )
        elif props is None:
            props_rows = _repeat_none()
        else:
            props_rows = iter(props)
        mol_iter: Iterator[Mol | None] = iter(mols) if mols is not None else _repeat_none()
        chunk: list[tuple[str | None, Mol | None, dict[str, Any]]] = []
        for smi in smiles:
            mol = next(mol_iter, None)
            row_props = next(props_rows, None)
            chunk.append((smi, mol, dict(row_props or {})))
            if len(chunk) >= _CHUNK:
                n += self._write_chunk(chunk)
                chunk = []
        if chunk:
            n += self._write_chunk(chunk)
        return n

    def _write_chunk(self, chunk: list[tuple[str | None, Mol | None, dict[str, Any]]]) -> int:
        need = [p for p in self.properties if any(p not in values for _, _, values in chunk)]
        if need:
            chunk = [(s, m if m is not None else to_mol(s), v) for s, m, v in chunk]
            mols = [m for _, m, _ in chunk]
            for name in need:
                column = PROPERTIES[name](mols)
                for (_, _, values), value in zip(chunk, column):
                    values.setdefault(name, value)
        for smi, mol, values in chunk:
            self._write_row(smi, mol, values)
        return len(chunk)

    def _write_row(self, smiles: str | None, mol: Mol | None, values: Mapping[str, Any]) -> None:
        if self._formatter is None or self._stack is None:
            raise RuntimeError("writer is not open; use it in a `with` block")
        extra = [k for k in values if k not in self.columns and k != "smiles"]
        if extra:
            raise ValueError(f"values {extra} are not columns of {self.path}; columns: {self.columns}")
        self._formatter.row(smiles or "", mol, values)
        self.n_written += 1


class _Aborted(Exception):
    """Raised internally so that the exit stack sees a failure and removes the temporary file."""


def _repeat_none() -> Iterator[None]:
    while True:
        yield None


def _count() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1


def open_writer(
    path: str | Path,
    *,
    properties: Sequence[str] = (),
    force: bool = False,
    columns: Sequence[str] = (),
    header: bool = True,
) -> MoleculeWriter:
    """Return a :class:`MoleculeWriter` for ``path`` (``.smi``, ``.csv``, ``.sdf``, ``.gz``, ``-``).

    Use it in a ``with`` block; the file appears only when the block ends without an exception.
    Unknown extensions, unknown property names and (without ``force``) existing outputs raise
    :class:`~molgan.errors.InputError` here, before anything is written.
    """
    writer = MoleculeWriter(path, properties=properties, force=force, columns=columns, header=header)
    if writer.path != STDOUT:
        check_output_path(writer.path, force=force)
    return writer


def write_molecules(
    path: str | Path,
    smiles: Iterable[str | None],
    mols: Iterable[Mol | None] | None = None,
    properties: Sequence[str] = (),
    force: bool = False,
) -> int:
    """Write SMILES (and optional molecules and named properties) to ``path``; return the row count."""
    with open_writer(path, properties=properties, force=force) as writer:
        return writer.write_many(smiles, mols)
