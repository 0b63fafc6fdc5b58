"""Read molecules from SMILES, CSV/TSV and SD files (each optionally gzipped), streaming.

Every reader counts what it could not use instead of raising: ``skipped[reason]`` says how many
records were dropped and why. Only a missing or unreadable file raises :class:`InputError`, and a
file with not a single usable molecule raises :class:`NothingUsableError`.

Skip reasons: ``empty_line``, ``missing_smiles``, ``line_too_long``, ``unparsable_smiles``,
``unparsable_record`` (SD), ``truncated_record``, ``several_fragments`` (with ``keep_fragments="skip"``),
``truncated_file`` (a gzip stream ended early; what came before it is kept).
With ``keep_fragments="largest"`` the largest fragment is kept and ``fragments_reduced`` counted.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from itertools import chain
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from rdkit import Chem

from molgan.chem.mol import quiet_rdkit
from molgan.errors import InputError, NothingUsableError


Mol = Chem.Mol

#: Longest line (characters) a text reader accepts; longer lines are skipped as ``line_too_long``.
MAX_LINE_CHARS = 100_000

SMILES_SUFFIXES = (".smi", ".smiles", ".txt")
TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t"}
#: Delimiters a table's header line is sniffed for (a ChEMBL export uses ";").
SNIFFED_DELIMITERS = (",", "\t", ";")
#: Names ``--delimiter`` / ``delimiter=`` accept for each delimiter a table may use.
DELIMITER_NAMES = {
    ",": ",", "comma": ",", ";": ";", "semicolon": ";", "tab": "\t", "\\t": "\t", "\t": "\t",
}
#: The path that stands for standard input.
STDIN = "-"
SDF_SUFFIXES = (".sdf", ".sd", ".mol")
FRAGMENT_POLICIES = ("all", "skip", "largest")
#: Keys of ``skipped`` that count events, not dropped records.
NOTES = frozenset({"truncated_file", "fragments_reduced"})
_HEADER_WORDS = frozenset({"smiles", "smile", "canonical_smiles", "isomeric_smiles"})


@dataclass
class ReadResult:
    """Molecules read from one file; ``smiles``, ``mols`` and ``records`` have one entry per kept record.

    ``smiles`` is the SMILES as read (stripped); for SD files, RDKit's SMILES of the record.
    ``records`` holds the other columns (or SD tags, with ``_Name`` as ``name``) of each record.
    ``n_read == len(mols) + sum(skipped[r] for r in skipped if r not in NOTES)``: ``truncated_file``
    and ``fragments_reduced`` are notes, not dropped records.
    """

    smiles: list[str]
    mols: list[Mol]
    records: list[dict[str, str]]
    n_read: int
    skipped: dict[str, int]
    source: str


@dataclass
class ReadTally:
    """Running counts of a streaming read: records seen and skip reasons."""

    n_read: int = 0
    skipped: Counter = field(default_factory=Counter)

    def skip(self, reason: str) -> None:
        self.n_read += 1
        self.skipped[reason] += 1


def read_molecules(
    path: str | Path,
    smiles_column: str | None = None,
    *,
    keep_fragments: str = "all",
    delimiter: str | None = None,
) -> ReadResult:
    """Read every molecule of ``path`` (format from the extension: .smi/.smiles/.txt, .csv, .tsv, .sdf,
    each optionally ``.gz``).

    ``smiles_column`` picks the SMILES column of a CSV/TSV file (default: a column named ``smiles``
    in any case). ``keep_fragments``: ``"all"`` keeps several-fragment molecules as they are,
    ``"skip"`` drops them, ``"largest"`` keeps the largest fragment. ``delimiter`` forces the
    delimiter of a table (see :func:`parse_delimiter`; default: sniffed from its header line).
    Raises :class:`InputError` for a missing/unreadable file or a missing column, and
    :class:`NothingUsableError` when no molecule at all could be read.
    """
    tally = ReadTally()
    smiles, mols, records = [], [], []
    read = iter_molecules(path, smiles_column, keep_fragments=keep_fragments, tally=tally, delimiter=delimiter)
    for text, mol, fields in read:
        smiles.append(text)
        mols.append(mol)
        records.append(fields)
    if not mols:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(tally.skipped.items())) or "the file is empty"
        raise NothingUsableError(f"no usable molecule in {path} ({tally.n_read} records read; {reasons})")
    return ReadResult(smiles, mols, records, tally.n_read, dict(tally.skipped), str(path))


def iter_molecules(
    path: str | Path,
    smiles_column: str | None = None,
    *,
    keep_fragments: str = "all",
    tally: ReadTally | None = None,
    delimiter: str | None = None,
) -> Iterator[tuple[str, Mol, dict[str, str]]]:
    """Yield ``(smiles, mol, fields)`` for each usable record of ``path``, one at a time.

    Pass a :class:`ReadTally` to learn how many records were read and why some were skipped.
    Never raises :class:`NothingUsableError` (an empty stream is simply empty).
    """
    for record in iter_records(path, smiles_column, keep_fragments=keep_fragments, tally=tally, delimiter=delimiter):
        if record.mol is not None:
            yield record.smiles, record.mol, record.fields


@dataclass
class Record:
    """One record of a file: its SMILES text, molecule (``None`` if unusable), other fields, and why not."""

    smiles: str
    mol: Mol | None
    fields: dict[str, str]
    reason: str = ""  # the skip reason of an unusable record, "" for a usable one


def iter_records(
    path: str | Path,
    smiles_column: str | None = None,
    *,
    keep_fragments: str = "all",
    tally: ReadTally | None = None,
    delimiter: str | None = None,
) -> Iterator[Record]:
    """Yield every record of ``path`` as a :class:`Record`, unusable ones too (``mol=None`` and a reason).

    Blank lines, comments and lines the text layer cannot deliver (too long, truncated, rejected by
    the csv module) are not records: they are only counted in ``tally``. Row ``i`` of an output built
    from these records joins back to record ``i`` of the input.
    """
    if keep_fragments not in FRAGMENT_POLICIES:
        raise ValueError(f"keep_fragments must be one of {FRAGMENT_POLICIES}, got {keep_fragments!r}")
    tally = tally if tally is not None else ReadTally()
    forced = parse_delimiter(delimiter)
    for text, mol, reason, fields in _records(Path(path), smiles_column, tally, forced):
        if mol is None and not reason:
            mol, reason = _parse_smiles(text, tally)
        if mol is not None:
            kept = _apply_fragment_policy(text, mol, keep_fragments, tally)
            reason = "" if kept is not None else "several_fragments"
            if kept is not None and kept is not mol:
                text = Chem.MolToSmiles(kept)  # the largest fragment: its SMILES, not the salt's
            mol = kept
        yield Record(text, mol, fields, reason)


def iter_smiles_texts(
    path: str | Path, smiles_column: str | None = None, *, tally: ReadTally | None = None,
    delimiter: str | None = None,
) -> Iterator[str]:
    """Yield the SMILES text of each record of ``path`` without parsing it (of an SD record: RDKit's SMILES).

    For reading in one process and parsing in others: :func:`parse_record` of each text, counted in a
    tally of its own, adds up with this reader's ``tally`` to the counts of :func:`iter_molecules`.
    """
    tally = tally if tally is not None else ReadTally()
    for text, _, reason, _ in _records(Path(path), smiles_column, tally, parse_delimiter(delimiter)):
        if not reason:
            yield text


def parse_record(text: str, keep_fragments: str, tally: ReadTally) -> Mol | None:
    """The molecule of one record's SMILES after the fragment policy, or ``None`` (why: counted in ``tally``)."""
    mol, _ = _parse_smiles(text, tally)
    return None if mol is None else _apply_fragment_policy(text, mol, keep_fragments, tally)


def _records(
    path: Path, smiles_column: str | None, tally: ReadTally, delimiter: str | None = None
) -> Iterator[tuple[str, Mol | None, str, dict]]:
    """``(text, mol, reason, fields)`` of each record: an SD record's molecule, ``None`` and no reason for a
    text record not parsed yet, ``None`` and the reason for a record already found unusable.
    ``delimiter`` (already parsed) forces a table's delimiter instead of sniffing it."""
    kind, suffix = ("", "") if is_stdin(path) else _format_of(path)
    with _open_binary(path) as handle:
        guard = _TruncationGuard(handle, tally)
        raw = io.BufferedReader(guard)
        if not kind:
            kind, suffix = _sniff_kind(raw.peek(1 << 16)[: 1 << 16], smiles_column, delimiter)
        if kind == "sdf":
            yield from _sdf_records(raw, tally)
            return
        lines = _text_lines(raw, guard, tally)
        if kind == "smiles":
            yield from _smiles_records(lines, tally)
            return
        first = next(lines, None)
        delimiter = delimiter or sniff_delimiter(first or "", TABLE_DELIMITERS.get(suffix, ","))
        lines = chain([first], lines) if first is not None else lines
        yield from _table_records(lines, delimiter, smiles_column, path, tally)


def is_stdin(path: str | Path) -> bool:
    """Whether ``path`` is ``-``, standard input."""
    return str(path) == STDIN


def parse_delimiter(value: str | None) -> str | None:
    """The delimiter a name stands for (``,``/``comma``, ``;``/``semicolon``, ``tab``/``\\t``), or ``None``
    for ``None`` (sniff it); anything else raises :class:`InputError`."""
    if value is None:
        return None
    found = DELIMITER_NAMES.get(value.lower() if len(value) > 1 else value)
    if found is None:
        raise InputError(f"unknown delimiter {value!r}; use comma (,), semicolon (;) or tab")
    return found


def sniff_delimiter(header: str, default: str = ",") -> str:
    """The delimiter of a table from its header line: whichever of comma, tab and semicolon it holds
    most often (outside quotes), else ``default``."""
    unquoted = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {d: unquoted.count(d) for d in SNIFFED_DELIMITERS}
    best = max(SNIFFED_DELIMITERS, key=lambda d: (counts[d], d == default))
    return best if counts[best] else default


def _sniff_kind(head: bytes, smiles_column: str | None, forced: str | None = None) -> tuple[str, str]:
    """The format of standard input from its first bytes: SD records, a table with a SMILES column
    in its header (split at ``forced`` if given), or SMILES lines."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if "M  END" in text or "$$$$" in text:
        return "sdf", ".sdf"
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = forced or sniff_delimiter(first, ",")
    names = {cell.strip().strip('"').lower() for cell in first.split(delimiter)}
    wanted = {smiles_column.lower()} if smiles_column else _HEADER_WORDS
    if delimiter in first and names & wanted:
        return "table", ".tsv" if delimiter == "\t" else ".csv"
    return "smiles", ".smi"


def _format_of(path: Path) -> tuple[str, str]:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    suffix = suffixes[-1] if suffixes else ""
    if suffix in SMILES_SUFFIXES:
        return "smiles", suffix
    if suffix in TABLE_DELIMITERS:
        return "table", suffix
    if suffix in SDF_SUFFIXES:
        return "sdf", suffix
    known = ", ".join(SMILES_SUFFIXES + tuple(TABLE_DELIMITERS) + SDF_SUFFIXES)
    raise InputError(f"{path}: unknown file type {suffix or '(no extension)'!r}; use one of {known} (optionally .gz)")


class _open_binary:
    """Open a file (transparently gunzipping ``.gz``) as a binary stream; one-line errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        if is_stdin(self.path):
            stdin = io.BufferedReader(_Unclosed(sys.stdin.buffer))
            if stdin.peek(2)[:2] == b"\x1f\x8b":
                return gzip.GzipFile(fileobj=stdin, mode="rb")
            return stdin
        if not self.path.exists():
            raise InputError(f"file not found: {self.path}")
        if self.path.is_dir():
            raise InputError(f"{self.path} is a directory, not a file")
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"cannot open {self.path}: {exc.strerror or exc}") from exc
        if self.path.suffix.lower() == ".gz":
            magic = handle.peek(2)[:2] if hasattr(handle, "peek") else b""
            if magic and magic != b"\x1f\x8b":
                handle.close()
                raise InputError(f"{self.path} is not a gzip file")
            handle = gzip.GzipFile(fileobj=handle, mode="rb")  # closes nothing: close both below
        self.handle = handle
        return handle

    def __exit__(self, *exc_info) -> None:
        if self.handle is not None:
            inner = getattr(self.handle, "fileobj", None)
            self.handle.close()
            if inner is not None:
                inner.close()


class _Unclosed(io.RawIOBase):
    """Standard input as a raw stream that closing leaves open."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.handle.read1(len(buffer)) if hasattr(self.handle, "read1") else self.handle.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _TruncationGuard(io.RawIOBase):
    """A binary stream that ends (and counts ``truncated_file``) where the wrapped stream breaks off."""

    def __init__(self, handle: BinaryIO, tally: ReadTally) -> None:
        self.handle = handle
        self.tally = tally
        self.broken = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.broken:
            return 0
        try:
            data = self.handle.read1(len(buffer))  # read1: keep what came before a break
        except (EOFError, zlib.error, gzip.BadGzipFile):
            self.broken = True
            self.tally.skipped["truncated_file"] += 1
            return 0
        buffer[: len(data)] = data
        return len(data)


def _text_lines(raw: BinaryIO, guard: _TruncationGuard, tally: ReadTally) -> Iterator[str]:
    """Decoded lines (UTF-8, BOM dropped, any newline style, bad bytes replaced), too-long lines skipped.

    The unfinished last line of a truncated stream is dropped (``truncated_record``): a cut SMILES
    may still parse, as the wrong molecule.
    """
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline=None)
    try:
        while line := text.readline(MAX_LINE_CHARS):
            if guard.broken and not line.endswith("\n"):
                tally.skip("truncated_record")
                break
            if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
                while (rest := text.readline(MAX_LINE_CHARS)) and not rest.endswith("\n"):
                    pass
                tally.skip("line_too_long")
                continue
            yield line.rstrip("\n")
    finally:
        text.detach()


def _smiles_records(lines: Iterator[str], tally: ReadTally) -> Iterator[tuple[str, Mol | None, str, dict]]:
    first = True
    for line in lines:
        parts = line.strip().split(None, 1)
        if not parts:
            tally.skip("empty_line")
            continue
        if parts[0].startswith("#"):  # no SMILES starts with '#': a comment line
            tally.skip("comment")
            continue
        if first:
            first = False
            if parts[0].lower() in _HEADER_WORDS:
                continue
        yield parts[0], None, "", {"name": parts[1].strip()} if len(parts) > 1 else {}


def _table_records(
    lines: Iterator[str], delimiter: str, smiles_column: str | None, path: Path, tally: ReadTally
) -> Iterator[tuple[str, Mol | None, str, dict]]:
    rows = _csv_rows(csv.reader(lines, delimiter=delimiter), tally)
    header = next(rows, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(rows, None)
    if header is None:
        return
    header = [cell.strip() for cell in header]
    if any(c in cell for cell in header for c in "\x00\ufffd"):
        raise NothingUsableError(f"no usable molecule in {path}: the header line is binary, not text")
    column = _find_column(header, smiles_column, path)
    for row in rows:
        if not any(cell.strip() for cell in row):
            tally.skip("empty_line")
            continue
        text = row[column].strip() if column < len(row) else ""
        fields = {name: value for i, (name, value) in enumerate(zip(header, row)) if i != column}
        if not text:
            tally.skip("missing_smiles")
            yield text, None, "missing_smiles", fields
            continue
        yield text, None, "", fields


def _csv_rows(reader, tally: ReadTally) -> Iterator[list[str]]:
    """Rows of a csv reader; a row the csv module rejects (e.g. an over-long quoted field) is skipped."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            tally.skip("unreadable_row")
            continue
        yield row


def _find_column(header: list[str], wanted: str | None, path: Path) -> int:
    target = (wanted or "smiles").lower()
    if wanted is not None and wanted in header:
        return header.index(wanted)
    for i, name in enumerate(header):
        if name.lower() == target:
            return i
    shown = ", ".join(repr(h) for h in header[:20]) + (" ..." if len(header) > 20 else "")
    hint = "" if wanted else " (choose one with smiles_column / --smiles-column)"
    raise InputError(f"{path}: no column {wanted or 'smiles'!r}{hint}; columns are {shown}")


def _sdf_records(raw: BinaryIO, tally: ReadTally) -> Iterator[tuple[str, Mol | None, str, dict]]:
    """``(smiles, mol, reason, fields)`` of each SD record (``reason`` empty when the record is usable)."""
    supplier = Chem.ForwardSDMolSupplier(raw, sanitize=True, removeHs=True)
    records = iter(supplier)
    try:
        while True:
            with quiet_rdkit():
                mol = next(records, _END)
            if mol is _END:
                return
            if mol is None:
                tally.skip("unparsable_record")
                yield "", None, "unparsable_record", {}
                continue
            fields = {name: mol.GetProp(name) for name in mol.GetPropNames()}
            if mol.HasProp("_Name") and mol.GetProp("_Name"):
                fields["name"] = mol.GetProp("_Name")
            if mol.GetNumAtoms() == 0:
                tally.skip("empty_molecule")
                yield "", None, "empty_molecule", fields
                continue
            yield Chem.MolToSmiles(mol), mol, "", fields
    except RuntimeError:  # RDKit gives up on a stream it cannot parse any further
        tally.skipped["unparsable_record"] += 1


_END = object()


def _parse_smiles(text: str, tally: ReadTally) -> tuple[Mol | None, str]:
    """``(mol, "")``, or ``(None, reason)`` counted in ``tally``."""
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(text)
    if mol is None or mol.GetNumAtoms() == 0:
        reason = "unparsable_smiles" if mol is None else "empty_molecule"
        tally.skip(reason)
        return None, reason
    return mol, ""


def _apply_fragment_policy(text: str, mol: Mol, policy: str, tally: ReadTally) -> Mol | None:
    """Count the record as read and keep, reduce or drop a several-fragment molecule."""
    if policy == "all" or "." not in text:  # without a dot, a SMILES is one fragment
        tally.n_read += 1
        return mol
    fragments = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
    if len(fragments) == 1:
        tally.n_read += 1
        return mol
    if policy == "skip":
        tally.skip("several_fragments")
        return None
    tally.n_read += 1
    tally.skipped["fragments_reduced"] += 1
    return largest_fragment(mol)


def largest_fragment(mol: Mol) -> Mol:
    """The fragment with the most heavy atoms (the first one on a tie)."""
    fragments = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
    return max(fragments, key=lambda f: f.GetNumHeavyAtoms())
