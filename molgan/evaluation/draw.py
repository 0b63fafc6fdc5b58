"""Pictures: grids of molecules, training curves and property distributions.

Every function writes one file, chosen by the extension of ``path``, atomically (a temporary file
next to it replaces it at the end), and returns the path. Pictures are cheap to redraw, so an
existing picture is overwritten. Plots use matplotlib's object API with the Agg canvas: nothing
touches ``pyplot`` or opens a window.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem import Draw

from molgan.chem.mol import to_mol
from molgan.errors import InputError
from molgan.chem.properties import PROPERTIES
from molgan.data.writers import atomic_path


Mol = Chem.Mol

#: Picture formats of :func:`draw_grid` by extension.
GRID_FORMATS = (".png", ".svg")
#: Picture formats of the plots by extension.
PLOT_FORMATS = (".png", ".svg", ".pdf")


def _suffix(path: str | Path, allowed: Sequence[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in allowed:
        raise InputError(f"cannot tell the picture format of {Path(path).name!r}: use {', '.join(allowed)}")
    return suffix


def _to_mol(item: str | Mol | None) -> Mol | None:
    if item is None or isinstance(item, Mol):
        return item
    return to_mol(str(item))


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _legend_texts(mols: Sequence[Mol], items: Sequence[Any], legends: str | Sequence[str] | None) -> list[str]:
    if legends is None:
        return [""] * len(mols)
    if isinstance(legends, str):
        if legends == "smiles":
            return [it if isinstance(it, str) else Chem.MolToSmiles(m) for it, m in zip(items, mols)]
        if legends in PROPERTIES:
            values = PROPERTIES[legends](mols)
            return [f"{legends} {_number(v)}" for v in values]
        raise InputError(f"unknown legend {legends!r}; use smiles or one of: {', '.join(PROPERTIES)}")
    return [str(text) for text in legends]


def draw_grid(
    mols_or_smiles: Iterable[str | Mol | None],
    path: str | Path,
    *,
    legends: str | Sequence[str] | None = None,
    mols_per_row: int = 6,
    sub_img_size: tuple[int, int] = (250, 250),
    max_mols: int = 48,
) -> Path:
    """Draw up to ``max_mols`` molecules in a grid and write a PNG or SVG (by extension).

    ``legends`` is ``None`` (no captions), ``"smiles"``, a property name from
    :data:`molgan.chem.properties.PROPERTIES` (e.g. ``"qed"``), or one caption per input item.
    Invalid SMILES and ``None`` are skipped with their captions. Raises
    :class:`~molgan.errors.InputError` if nothing can be drawn or the extension is unknown.
    """
    suffix = _suffix(path, GRID_FORMATS)
    if mols_per_row < 1 or max_mols < 1:
        raise InputError("mols_per_row and max_mols must be at least 1")
    explicit = None if legends is None or isinstance(legends, str) else list(legends)
    mols: list[Mol] = []
    items: list[Any] = []
    captions: list[str] = []
    for k, item in enumerate(mols_or_smiles):
        mol = _to_mol(item)
        if mol is None:
            continue
        mols.append(mol)
        items.append(item.strip() if isinstance(item, str) else item)
        if explicit is not None:
            captions.append(explicit[k] if k < len(explicit) else "")
        if len(mols) >= max_mols:
            break
    if not mols:
        raise InputError("nothing to draw: no valid molecule among the input")
    texts = captions if explicit is not None else _legend_texts(mols, items, legends)
    image = Draw.MolsToGridImage(
        mols,
        molsPerRow=min(mols_per_row, len(mols)),
        subImgSize=tuple(sub_img_size),
        legends=texts,
        useSVG=suffix == ".svg",
    )
    # In a Jupyter kernel RDKit replaces MolsToGridImage by a renderer that returns IPython display
    # objects (SVG / Image), which hold the SVG text or PNG bytes in ``.data``.
    image = getattr(image, "data", image)
    with atomic_path(path, force=True) as tmp:
        if suffix == ".svg":
            svg = image if isinstance(image, str) else str(image)
            svg = svg.replace("encoding='iso-8859-1'", "encoding='utf-8'", 1)  # we write UTF-8
            tmp.write_text(svg, encoding="utf-8")
        elif isinstance(image, (bytes, bytearray)):  # some RDKit builds return PNG bytes
            tmp.write_bytes(image)
        else:
            image.save(tmp, format="PNG")
    return Path(path)


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------


def _figure(nrows: int, ncols: int, size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(nrows * ncols)]
    return fig, axes


def _save(fig, path: str | Path) -> Path:
    suffix = _suffix(path, PLOT_FORMATS)
    with atomic_path(path, force=True) as tmp:
        fig.savefig(tmp, format=suffix[1:], dpi=120)
    return Path(path)


def _read_rows(source: str | Path | Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(source, (str, Path)):
        try:
            with open(source, newline="", encoding="utf-8") as handle:
                return list(csv.DictReader(handle))
        except FileNotFoundError:
            raise InputError(f"metrics file {source} does not exist") from None
    return list(source)


def _as_float(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _within_unit(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(finite.size) and float(finite.min()) >= 0.0 and float(finite.max()) <= 1.0


#: Columns used as the x axis of training curves, first match wins.
X_COLUMNS = ("step", "iteration", "epoch")


def plot_training_curves(
    csv_path_or_rows: str | Path | Iterable[Mapping[str, Any]], out_png: str | Path
) -> Path | None:
    """Plot a metrics CSV (or rows as dicts): losses in one panel, rates in another.

    The x axis is the first of ``step``, ``iteration``, ``epoch`` present (else the row number).
    Every other column with at least one number is drawn: columns whose name contains ``loss``
    in the first panel, the discriminator's (``d_*`` and the generator's adversarial term ``g_adv``)
    in their own, columns within [0, 1] (validity, uniqueness, ...) in the second, any
    others (time, learning rate scaled differently, ...) in a third. Returns ``None`` and writes
    nothing when there is no row or no numeric column; a missing file raises ``InputError``.
    """
    rows = _read_rows(csv_path_or_rows)
    if not rows:
        return None
    names = list(dict.fromkeys(k for row in rows for k in row if k is not None))
    x_name = next((c for c in X_COLUMNS if c in names), None)
    x = np.array([_as_float(r.get(x_name)) for r in rows]) if x_name else np.arange(len(rows), dtype=float)
    series = {}
    for name in names:
        if name == x_name:
            continue
        values = np.array([_as_float(r.get(name)) for r in rows])
        if np.isfinite(values).any():
            series[name] = values
    if not series:
        return None
    adversarial = {k: v for k, v in series.items() if k.startswith("d_") or k == "g_adv"}
    losses = {k: v for k, v in series.items() if "loss" in k.lower() and k not in adversarial}
    rates = {k: v for k, v in series.items() if k not in losses and k not in adversarial and _within_unit(v)}
    others = {k: v for k, v in series.items() if k not in losses and k not in rates and k not in adversarial}
    groups = (("losses", losses), ("discriminator", adversarial), ("rates", rates), ("other", others))
    panels = [(title, group) for title, group in groups if group]
    fig, axes = _figure(1, len(panels), (6.0 * len(panels), 4.0))
    for ax, (title, group) in zip(axes, panels):
        for name, values in group.items():
            ok = np.isfinite(values) & np.isfinite(x)
            ax.plot(x[ok], values[ok], label=name, marker="." if ok.sum() < 30 else None)
        ax.set_title(title)
        ax.set_xlabel(x_name or "row")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return _save(fig, out_png)


def plot_property_distributions(
    values_by_name: Mapping[str, Iterable[float]],
    out_png: str | Path,
    xlabel: str = "QED",
    bins: int = 40,
) -> Path | None:
    """Overlay step histograms (densities) of a property for several sets, means in the legend.

    NaN and infinite values are left out (their count is not shown); sets with no finite value
    are listed in the legend as empty. Returns ``None`` and writes nothing for an empty mapping.
    """
    if not values_by_name:
        return None
    fig, axes = _figure(1, 1, (6.5, 4.0))
    _distributions(axes[0], values_by_name, xlabel, bins)
    return _save(fig, out_png)


def plot_condition_control(
    values: Mapping[str, Mapping[str, Iterable[float]]], out_png: str | Path, targets: Mapping[str, Sequence[float]] | None = None
) -> Path:
    """One panel per property: the obtained distribution for each requested target beside the unconditional
    one (``values[property][label]``), the targets as dashed lines (``targets[property]``)."""
    fig, axes = _figure(1, len(values), (5.5 * len(values), 4.0))
    for ax, (name, sets) in zip(axes, values.items()):
        _distributions(ax, sets, name, 40)
        for target in (targets or {}).get(name, ()):
            ax.axvline(target, linestyle="--", linewidth=1, color="black")
    return _save(fig, out_png)


def _distributions(ax, values_by_name: Mapping[str, Iterable[float]], xlabel: str, bins: int) -> None:
    """Step histograms (densities) of several sets on ``ax``, means in the legend."""
    data = {name: np.asarray(list(v), dtype=np.float64) for name, v in values_by_name.items()}
    finite = {name: v[np.isfinite(v)] for name, v in data.items()}
    everything = np.concatenate([v for v in finite.values()] + [np.empty(0)])
    if everything.size:
        lo, hi = float(everything.min()), float(everything.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, bins + 1)
    for name, values in finite.items():
        if values.size == 0:
            ax.plot([], [], label=f"{name} (no values)")
            continue
        label = f"{name} (mean {values.mean():.3g}, n={values.size})"
        ax.hist(values, bins=edges, density=True, histtype="step", linewidth=1.5, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
