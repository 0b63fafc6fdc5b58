"""Screen molecules: de-duplication, novelty, property conditions, rule of five, structural alerts.

A screen is a sequence of filters. Each filter is a small object with a ``name`` whose
``mask(batch)`` returns one boolean per molecule of a :class:`Batch`; the molecules that pass go on
to the next filter, so the report's counts read "passed this filter after the previous ones"::

    result = screen(["CCO", "CCO", "c1ccccc1O", "not a smiles"], where=["mw>40"], pains=True)
    result.smiles   # ['CCO', 'c1ccccc1O']  (input order kept)
    result.report   # [('valid', 4, 3), ('unique', 3, 2), ('pains', 2, 2), ('mw>40', 2, 2)]

The filters run in this order, roughly cheapest first (GAN samples hold many duplicates, and QED
costs about a millisecond a molecule while an alert catalog costs a tenth of that):
valid SMILES, unique (canonical SMILES with stereo), novel (canonical SMILES without stereo, against
a reference set), neutral (no charged atom or radical), Lipinski, PAINS, Brenk, each ``smarts``
pattern (must match), each ``exclude_smarts`` pattern (must not), then each ``where`` condition in
the order given (a property, or a numeric column of the input file).
A molecule whose property cannot be computed (NaN) fails every condition on it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import Chem

from molgan.chem.alerts import CATALOGS, alert_catalog
from molgan.chem.mol import quiet_rdkit, to_mol
from molgan.errors import InputError
from molgan.chem.properties import PROPERTIES


Mol = Chem.Mol

# --------------------------------------------------------------------------------------------
# Conditions such as "qed>0.6"
# --------------------------------------------------------------------------------------------

#: Comparison operators of a condition, longest first so that "<=" is not read as "<".
OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CONDITION = re.compile(
    rf"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*({'|'.join(re.escape(op) for op in OPERATORS)})\s*({_NUMBER})\s*$"
)


@dataclass(frozen=True)
class Condition:
    """A comparison of a named property (from :data:`molgan.chem.properties.PROPERTIES`) with a number;
    with ``column=True``, of a numeric column of the input file instead."""

    prop: str
    op: str
    value: float
    column: bool = False

    @property
    def name(self) -> str:
        return f"{self.prop}{self.op}{self.value:g}"

    def test(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask over property values; NaN (property not computable) never passes."""
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            return np.asarray(OPERATORS[self.op](values, self.value), dtype=bool) & ~np.isnan(values)


def parse_condition(text: str, *, allow_columns: bool = False) -> Condition:
    """Parse ``"qed>0.6"`` (spaces allowed) into a :class:`Condition`.

    Operators: ``< <= > >= == !=``. A malformed expression or (unless ``allow_columns``: then it is
    a condition on an input column, checked when the input is read) an unknown property raises
    :class:`~molgan.errors.InputError` with a one-line message.
    """
    match = _CONDITION.match(text or "")
    if match is None:
        shown = " ".join(str(text).split())
        raise InputError(
            f"cannot parse condition {shown!r}: expected PROPERTY OPERATOR NUMBER such as "
            f"'qed>0.6' (operators: < <= > >= == !=)"
        )
    name, op, number = match.groups()
    if name.lower() in PROPERTIES:
        return Condition(name.lower(), op, float(number))
    if allow_columns:
        return Condition(name, op, float(number), column=True)
    raise InputError(f"unknown property {name.lower()!r} in condition {text.strip()!r}; known: {', '.join(PROPERTIES)}")


def check_column_conditions(conditions: Iterable[Condition], columns: Collection[str] | None, source: str = "") -> None:
    """Refuse (one line) a condition on a column that ``columns`` (the input's; ``None``: no input file) lacks."""
    for condition in conditions:
        if condition.column and (columns is None or condition.prop not in columns):
            where = f"; columns of {source}: {', '.join(columns) or '(none)'}" if columns is not None else (
                " (conditions on other names need a file with such a column)"
            )
            raise InputError(
                f"{condition.prop!r} in condition {condition.name!r} is neither a property "
                f"({', '.join(PROPERTIES)}) nor an input column{where}"
            )


# --------------------------------------------------------------------------------------------
# A batch of molecules with properties computed once, on demand
# --------------------------------------------------------------------------------------------


class Batch:
    """Molecules (``None`` allowed) with properties and canonical SMILES cached on first use."""

    def __init__(self, mols: Sequence[Mol | None], columns: dict[str, np.ndarray] | None = None) -> None:
        self.mols = list(mols)
        self.columns = dict(columns or {})  # numeric input columns by name, one value per molecule
        self._props: dict[str, np.ndarray] = {}
        self._keys: dict[bool, list[str | None]] = {}

    def __len__(self) -> int:
        return len(self.mols)

    def prop(self, name: str) -> np.ndarray:
        """Values of a property from :data:`molgan.chem.properties.PROPERTIES` (NaN where not computable)."""
        if name not in self._props:
            self._props[name] = PROPERTIES[name](self.mols)
        return self._props[name]

    def canonical(self, isomeric: bool = True) -> list[str | None]:
        """Canonical SMILES of each molecule (``None`` for ``None``), with or without stereo."""
        if isomeric not in self._keys:
            self._keys[isomeric] = [_canonical(m, isomeric) for m in self.mols]
        return self._keys[isomeric]

    def properties(self) -> dict[str, np.ndarray]:
        """Every property computed so far."""
        return dict(self._props)

    def subset(self, mask: np.ndarray) -> Batch:
        """The molecules where ``mask`` is true, keeping what was already computed."""
        keep = np.flatnonzero(mask)
        out = Batch([self.mols[i] for i in keep], {k: v[keep] for k, v in self.columns.items()})
        out._props = {k: v[keep] for k, v in self._props.items()}
        out._keys = {k: [v[i] for i in keep] for k, v in self._keys.items()}
        return out


def _canonical(mol: Mol | None, isomeric: bool) -> str | None:
    if mol is None:
        return None
    try:
        return Chem.MolToSmiles(mol, isomericSmiles=isomeric)
    except Exception:  # RDKit raises on a few odd molecules
        return None


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


class Filter:
    """A named test over a :class:`Batch`; ``filter(mols)`` is a shortcut for a plain list."""

    name: str = "filter"

    def mask(self, batch: Batch) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, mols: Sequence[Mol | None]) -> np.ndarray:
        return self.mask(Batch(mols))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class PropertyFilter(Filter):
    """Keeps molecules whose property satisfies a :class:`Condition` (e.g. ``qed>0.6``)."""

    def __init__(self, condition: Condition | str) -> None:
        self.condition = parse_condition(condition) if isinstance(condition, str) else condition
        self.name = self.condition.name

    def mask(self, batch: Batch) -> np.ndarray:
        name = self.condition.prop
        return self.condition.test(batch.columns[name] if self.condition.column else batch.prop(name))


class LipinskiFilter(Filter):
    """Lipinski's rule of five: MW <= 500, logP <= 5, H-bond donors <= 5, acceptors <= 10.

    As in Lipinski's paper (poor absorption is likely when *more than one* rule is broken), a
    molecule passes with at most ``max_violations`` (default 1) broken rules. Molecules whose
    descriptors cannot be computed fail.
    """

    name = "lipinski"
    RULES: dict[str, float] = {"mw": 500.0, "logp": 5.0, "hbd": 5.0, "hba": 10.0}

    def __init__(self, max_violations: int = 1) -> None:
        self.max_violations = max_violations

    def violations(self, batch: Batch) -> np.ndarray:
        """Number of broken rules per molecule (as float; NaN if a descriptor is missing)."""
        counts = np.zeros(len(batch), dtype=np.float64)
        for prop, limit in self.RULES.items():
            values = batch.prop(prop)
            with np.errstate(invalid="ignore"):
                counts += np.where(np.isnan(values), np.nan, values > limit)
        return counts

    def mask(self, batch: Batch) -> np.ndarray:
        counts = self.violations(batch)
        with np.errstate(invalid="ignore"):
            return (counts <= self.max_violations) & ~np.isnan(counts)


class AlertFilter(Filter):
    """Drops molecules that match any alert of a catalog (``"pains"``, ``"brenk"``, ... of
    :data:`molgan.chem.alerts.CATALOGS`)."""

    def __init__(self, catalog: str) -> None:
        if catalog not in CATALOGS:
            raise InputError(f"unknown alert catalog {catalog!r}; known: {', '.join(CATALOGS)}")
        self.name = catalog
        self.catalog = alert_catalog(catalog)

    def matches(self, mol: Mol | None) -> list[str] | None:
        """Descriptions of the alerts ``mol`` matches (``None`` for ``None``)."""
        if mol is None:
            return None
        return [entry.GetDescription() for entry in self.catalog.GetMatches(mol)]

    def mask(self, batch: Batch) -> np.ndarray:
        return np.array([m is not None and not self.catalog.HasMatch(m) for m in batch.mols], dtype=bool)


class NeutralFilter(Filter):
    """Keeps molecules without charged atoms or radicals (``--neutral``)."""

    name = "neutral"

    def mask(self, batch: Batch) -> np.ndarray:
        return np.array(
            [all(a.GetFormalCharge() == 0 and a.GetNumRadicalElectrons() == 0 for a in m.GetAtoms()) for m in batch.mols],
            dtype=bool,
        )


class SmartsFilter(Filter):
    """Keeps molecules that match a SMARTS pattern (``--smarts``), or with ``exclude`` that do not
    (``--exclude-smarts``). A pattern RDKit cannot parse raises :class:`~molgan.errors.InputError`."""

    def __init__(self, pattern: str, *, exclude: bool = False) -> None:
        self.pattern, self.exclude = pattern, exclude
        self.query = parse_smarts(pattern)
        self.name = f"{'not ' if exclude else ''}{pattern}"

    def mask(self, batch: Batch) -> np.ndarray:
        hits = np.array([m.HasSubstructMatch(self.query) for m in batch.mols], dtype=bool)
        return ~hits if self.exclude else hits


def parse_smarts(pattern: str) -> Mol:
    """The query molecule of a SMARTS pattern; one-line :class:`~molgan.errors.InputError` if it is bad."""
    with quiet_rdkit():
        query = Chem.MolFromSmarts(pattern) if pattern and pattern.strip() else None
    if query is None:
        raise InputError(f"cannot parse SMARTS {pattern!r}")
    return query


class NoveltyFilter(Filter):
    """Keeps molecules absent from a reference set, compared as canonical SMILES without stereo.

    ``reference`` holds SMILES (or RDKit molecules, which saves parsing them again); invalid
    ones are skipped and counted in ``n_reference_invalid``.
    """

    name = "novel"

    def __init__(self, reference: Iterable[str | Mol]) -> None:
        keys: set[str] = set()
        invalid = 0
        for item in reference:
            key = _canonical(item if isinstance(item, Mol) else to_mol(item), isomeric=False)
            if key is None:
                invalid += 1
            else:
                keys.add(key)
        self.reference = frozenset(keys)
        self.n_reference_invalid = invalid

    def mask(self, batch: Batch) -> np.ndarray:
        return np.array([k is not None and k not in self.reference for k in batch.canonical(False)], dtype=bool)


class UniqueFilter(Filter):
    """Keeps the first occurrence of each canonical SMILES (stereoisomers count as different).

    It remembers what it has seen, so it de-duplicates across the chunks of one screen; use a new
    one for each screen.
    """

    name = "unique"

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def mask(self, batch: Batch) -> np.ndarray:
        out = np.zeros(len(batch), dtype=bool)
        for i, key in enumerate(batch.canonical(True)):
            if key is not None and key not in self.seen:
                self.seen.add(key)
                out[i] = True
        return out


def build_filters(
    *,
    where: Iterable[str | Condition] = (),
    lipinski: bool = False,
    pains: bool = False,
    brenk: bool = False,
    novel_against: Iterable[str | Mol] | None = None,
    unique: bool = True,
    neutral: bool = False,
    smarts: Iterable[str] = (),
    exclude_smarts: Iterable[str] = (),
) -> list[Filter]:
    """The filters of a screen, in the order they run (see the module docstring)."""
    # conditions and patterns first, so that a typo fails before a large novelty reference is read
    conditions = [PropertyFilter(c) for c in where]
    patterns = [SmartsFilter(p) for p in smarts] + [SmartsFilter(p, exclude=True) for p in exclude_smarts]
    filters: list[Filter] = []
    if unique:
        filters.append(UniqueFilter())
    if novel_against is not None:
        filters.append(NoveltyFilter(novel_against))
    if neutral:
        filters.append(NeutralFilter())
    if lipinski:
        filters.append(LipinskiFilter())
    if pains:
        filters.append(AlertFilter("pains"))
    if brenk:
        filters.append(AlertFilter("brenk"))
    filters.extend(patterns)
    filters.extend(conditions)
    return filters


@dataclass(frozen=True)
class ScreenSpec:
    """What a screen keeps: the one description that :func:`screen`, :func:`screen_iter`,
    :func:`molgan.evaluation.screen_file.screen_file`, ``molgan.screen`` and ``molgan screen`` share.

    ``where``: conditions such as ``"qed>0.6"`` (one string, or a list of strings or
    :class:`Condition`); ``lipinski``: rule of five (at most one violation); ``pains`` / ``brenk``:
    drop structural-alert hits; ``novel_against``: drop molecules found in a reference (a list of
    SMILES or molecules, a file, or a data set name such as ``"qm9"``, read when the filters are
    built); ``unique``: keep the first of each canonical SMILES; ``properties``: extra properties to
    compute for the molecules that pass (``"qed,logp"`` or a list); ``neutral``: drop molecules with
    a charged atom or a radical; ``smarts`` / ``exclude_smarts``: keep molecules that match every
    pattern / none of them. Conditions, property names and patterns are checked when the spec is
    made: a bad one raises :class:`~molgan.errors.InputError`.
    """

    where: tuple[Condition, ...] = ()
    lipinski: bool = False
    pains: bool = False
    brenk: bool = False
    novel_against: str | Path | Iterable[str | Mol] | None = field(default=None, compare=False)
    unique: bool = True
    properties: tuple[str, ...] = ()
    neutral: bool = False
    smarts: tuple[str, ...] = ()
    exclude_smarts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("smarts", "exclude_smarts"):
            patterns = getattr(self, name)
            patterns = (patterns,) if isinstance(patterns, str) else tuple(patterns)
            for pattern in patterns:
                parse_smarts(pattern)
            object.__setattr__(self, name, patterns)
        where = [self.where] if isinstance(self.where, (str, Condition)) else self.where
        conditions = tuple(parse_condition(c, allow_columns=True) if isinstance(c, str) else c for c in where)
        object.__setattr__(self, "where", conditions)
        names = self.properties.split(",") if isinstance(self.properties, str) else self.properties
        object.__setattr__(self, "properties", tuple(_check_properties(names)))

    @property
    def columns(self) -> list[str]:
        """Properties written beside the passing molecules: ``properties``, then those of ``where``."""
        return list(dict.fromkeys([*self.properties, *(c.prop for c in self.where if not c.column)]))

    def filters(self) -> list[Filter]:
        """The filters of this screen, in the order they run; reads the novelty reference if any."""
        reference = self.novel_against
        if isinstance(reference, (str, Path)):
            from molgan.evaluation.metrics import load_reference

            reference = load_reference(reference)
        return build_filters(
            where=self.where, lipinski=self.lipinski, pains=self.pains, brenk=self.brenk,
            novel_against=reference, unique=self.unique, neutral=self.neutral, smarts=self.smarts,
            exclude_smarts=self.exclude_smarts,
        )


def _check_properties(names: Iterable[str]) -> list[str]:
    from molgan.data.writers import check_properties

    return check_properties(names)


# --------------------------------------------------------------------------------------------
# Screening
# --------------------------------------------------------------------------------------------

#: One row of a report: (filter name, molecules in, molecules that passed).
ReportRow = tuple[str, int, int]


@dataclass
class ScreenResult:
    """Molecules that passed a screen, in input order, and how many passed each filter.

    ``indices`` are positions in the input sequence; ``properties`` holds, for the passing
    molecules, every property computed by a filter or requested with ``properties=``. The first
    report row is ``("valid", n_read, n_valid)``. ``input_index`` holds the input's index labels
    when it had some (a pandas Series): :meth:`to_frame` is indexed by them, else by ``indices``.
    """

    smiles: list[str] = field(default_factory=list)
    mols: list[Mol] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    properties: dict[str, np.ndarray] = field(default_factory=dict)
    report: list[ReportRow] = field(default_factory=list)
    n_read: int = 0
    n_invalid: int = 0
    input_index: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.smiles)

    def to_dict(self) -> dict[str, Any]:
        """``{"smiles": [...], <property>: array, ...}`` of the passing molecules, in input order."""
        return {"smiles": list(self.smiles), **self.properties}

    def to_frame(self) -> Any:
        """The passing molecules as a ``pandas.DataFrame`` (pandas needed): :meth:`to_dict`'s columns,
        indexed by their positions in the input (or the input's own index labels)."""
        from molgan.data.frame import to_frame

        labels = self.indices if self.input_index is None else [self.input_index[i] for i in self.indices]
        return to_frame(self.to_dict(), labels)


class Screener:
    """Runs a sequence of filters over chunks of molecules and keeps the running counts.

    Use it to screen a stream you chunk yourself (e.g. to keep other columns beside each
    molecule); :func:`screen_iter` and :func:`screen` use it too. Build the filters with
    :func:`build_filters`; a screener is used for one input (its de-duplication remembers it).
    """

    def __init__(
        self, filters: Sequence[Filter], properties: Sequence[str] = (), columns: Collection[str] | None = None,
        source: str = "",
    ) -> None:
        """``columns``: the input's columns that conditions may name (``None``: no input file)."""
        conditions = [f.condition for f in filters if isinstance(f, PropertyFilter)]
        check_column_conditions(conditions, columns, source)
        self.column_names = [c.prop for c in conditions if c.column]
        props = list(dict.fromkeys(p.strip() for p in properties if p.strip()))
        unknown = [p for p in props if p not in PROPERTIES]
        if unknown:
            raise InputError(f"unknown properties {', '.join(unknown)}; known: {', '.join(PROPERTIES)}")
        self.filters = list(filters)
        self.properties = props
        self.n_read = 0
        self.n_valid = 0
        self.n_in = [0] * len(self.filters)
        self.n_passed = [0] * len(self.filters)

    def report(self) -> list[ReportRow]:
        """Counts so far: ``("valid", n_read, n_valid)`` then one row per filter."""
        rows: list[ReportRow] = [("valid", self.n_read, self.n_valid)]
        rows += [(f.name, i, p) for f, i, p in zip(self.filters, self.n_in, self.n_passed)]
        return rows

    def run(
        self, smiles: Sequence[str | None], mols: Sequence[Mol | None] | None = None,
        fields: Sequence[Mapping[str, str]] | None = None,
    ) -> ScreenResult:
        """Screen the next chunk; ``indices`` of the result count from the start of the stream.

        ``fields`` (one mapping per SMILES) holds the input columns that conditions name.
        """
        offset = self.n_read
        if mols is None:
            mols = [to_mol(s) for s in smiles]
        elif len(mols) != len(smiles):
            raise ValueError(f"got {len(smiles)} SMILES but {len(mols)} molecules")
        self.n_read += len(smiles)
        index = np.array([i for i, m in enumerate(mols) if m is not None], dtype=np.int64)
        self.n_valid += len(index)
        columns = {name: np.array([_number(fields[i].get(name)) for i in index], dtype=np.float64)
                   for name in self.column_names} if fields is not None else {}
        batch = Batch([mols[i] for i in index], columns)
        for k, filt in enumerate(self.filters):
            mask = np.asarray(filt.mask(batch), dtype=bool)
            self.n_in[k] += len(batch)
            self.n_passed[k] += int(mask.sum())
            batch = batch.subset(mask)
            index = index[mask]
        for name in self.properties:
            batch.prop(name)
        return ScreenResult(
            smiles=[str(smiles[i]).strip() for i in index],
            mols=list(batch.mols),
            indices=[offset + int(i) for i in index],
            properties=batch.properties(),
            report=self.report(),
            n_read=self.n_read,
            n_invalid=self.n_read - self.n_valid,
        )


def _number(text: str | None) -> float:
    """A cell as a number; NaN (never passes a condition) when it is empty or not a number."""
    try:
        return float(text) if text is not None else math.nan
    except ValueError:
        return math.nan


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def screen_iter(
    smiles: Iterable[str | None],
    spec: ScreenSpec | None = None,
    *,
    mols: Iterable[Mol | None] | None = None,
    chunk_size: int = 5_000,
    **keywords: Any,
) -> Iterator[ScreenResult]:
    """Screen a stream of SMILES chunk by chunk; yield one :class:`ScreenResult` per chunk.

    ``spec`` says what to keep; without one, ``keywords`` are the fields of a :class:`ScreenSpec`.
    Each result holds the chunk's passing molecules (``indices`` count from the start of the
    stream) and the report *so far*, so the last result's report covers the whole input; at least
    one result is yielded, even for empty input. Memory is bounded by ``chunk_size`` plus the set
    of canonical SMILES kept for de-duplication. ``mols``, if given, are the parsed ``smiles``
    (same length), which saves parsing them again.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    spec = spec_from(spec, keywords)
    runner = Screener(spec.filters(), spec.properties)
    yielded = False
    if mols is None:
        pairs: Iterator[tuple[list, list | None]] = ((c, None) for c in _chunks(smiles, chunk_size))
    else:
        pairs = (
            ([s for s, _ in c], [m for _, m in c]) for c in _chunks(_zip_same_length(smiles, mols), chunk_size)
        )
    for smiles_chunk, mols_chunk in pairs:
        yield runner.run(smiles_chunk, mols_chunk)
        yielded = True
    if not yielded:
        yield runner.run([])


def spec_from(spec: ScreenSpec | None, keywords: dict[str, Any]) -> ScreenSpec:
    """``spec``, or one made from the keywords (giving both is an error)."""
    if spec is None:
        return ScreenSpec(**keywords)
    if keywords:
        raise TypeError(f"give a ScreenSpec or its fields, not both (got {', '.join(keywords)})")
    return spec


def _zip_same_length(a: Iterable, b: Iterable) -> Iterator[tuple]:
    sentinel = object()
    ia, ib = iter(a), iter(b)
    while True:
        x, y = next(ia, sentinel), next(ib, sentinel)
        if x is sentinel and y is sentinel:
            return
        if x is sentinel or y is sentinel:
            raise ValueError("smiles and mols have different lengths")
        yield x, y


def screen(
    smiles: Sequence[str | None],
    spec: ScreenSpec | None = None,
    *,
    mols: Sequence[Mol | None] | None = None,
    chunk_size: int = 5_000,
    **keywords: Any,
) -> ScreenResult:
    """Screen SMILES and return the molecules that pass every filter, in input order.

    ``spec`` (a :class:`ScreenSpec`; without one, ``keywords`` are its fields: ``where``,
    ``lipinski``, ``pains``, ``brenk``, ``novel_against``, ``unique``, ``properties``) says what to
    keep. Invalid or empty SMILES are counted (``n_invalid``) and dropped.
    """
    chunks = list(screen_iter(smiles, spec_from(spec, keywords), mols=mols, chunk_size=chunk_size))
    last = chunks[-1]
    names = list(last.properties)
    return ScreenResult(
        smiles=[s for c in chunks for s in c.smiles],
        mols=[m for c in chunks for m in c.mols],
        indices=[i for c in chunks for i in c.indices],
        properties={n: np.concatenate([c.properties[n] for c in chunks]) for n in names},
        report=last.report,
        n_read=last.n_read,
        n_invalid=last.n_invalid,
    )


def format_report(report: Sequence[ReportRow]) -> str:
    """The report as a small aligned text table (filter, in, passed, percent passed)."""
    width = max([len("filter")] + [len(name) for name, _, _ in report])
    lines = [f"{'filter':<{width}}  {'in':>9}  {'passed':>9}  {'%':>6}"]
    for name, n_in, n_passed in report:
        pct = f"{100.0 * n_passed / n_in:.1f}" if n_in else "-"
        lines.append(f"{name:<{width}}  {n_in:>9}  {n_passed:>9}  {pct:>6}")
    return "\n".join(lines)
