"""Rebuild the bundled data files of ``datasets/`` from the packages they come from.

    python -m molgan.data.build qm9 --out datasets/qm9.csv.gz
    python -m molgan.data.build moses-sample --n 2000 --seed 0 --out datasets/moses_sample.csv.gz
    python -m molgan.data.build moses-metrics --out datasets/moses
    python -m molgan.data.build fcd-stats qm9 --out datasets/fcd
    python -m molgan.data.build graphs qm9 --out datasets/graphs

``qm9`` reads the three CSV files of the ``qm9pack`` package (column ``SMILES``, plus the QM9
``Index``) and writes one row per QM9 molecule: ``index,smiles`` with RDKit's canonical SMILES
without stereo. ``moses-sample`` draws a seeded sample of the MOSES training set shipped by
``molsets`` and writes ``moses_index,smiles`` (the SMILES as MOSES gives them). Neither package is
imported: their files are located with :func:`importlib.util.find_spec`. The output is gzip with a
zero timestamp, so a rebuild with the same inputs is byte-identical.

``moses-metrics`` computes what :mod:`molgan.evaluation.moses` needs of the MOSES test and
scaffold-test sets (ChemNet statistics, fragment and scaffold counts, test-set properties; it runs
ChemNet over 350k molecules: minutes) and copies MOSES's filter SMARTS (``mcf.csv``,
``wehi_pains.csv`` of ``moses/metrics``). ``fcd-stats NAME`` writes the ChemNet statistics (float32)
of a data set's training split as :func:`molgan.evaluation.metrics.load_reference` gives it, named
as :func:`molgan.evaluation.fcd.reference_stats` looks for them, so the first FCD against that data
set takes seconds. ``graphs NAME`` writes a data set's encoded graphs as ``load_dataset`` caches
them (compressed), so that its first load reads them instead of encoding every molecule.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from rdkit import Chem

from molgan.chem.mol import canonical_key, quiet_rdkit
from molgan.data.datasets import moses_train_file, package_dir
from molgan.errors import InputError


QM9_PARTS = ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv")


def build_qm9(out: str | Path) -> dict[str, int]:
    """Write ``index,smiles`` (canonical, no stereo) for every QM9 molecule RDKit parses."""
    folder = package_dir("qm9pack", "pip install qm9pack") / "data"
    rows, unparsable = [], 0
    csv.field_size_limit(2**30)  # the qm9pack files hold long coordinate fields
    for part in QM9_PARTS:
        with open(folder / part, newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                with quiet_rdkit():
                    mol = Chem.MolFromSmiles(record["SMILES"])
                if mol is None:
                    unparsable += 1
                    continue
                rows.append((int(record["Index"]), canonical_key(mol)))
    rows.sort()
    _write_gzip_csv(out, ("index", "smiles"), rows)
    return {"written": len(rows), "unparsable": unparsable}


def build_moses_sample(out: str | Path, n: int = 2000, seed: int = 0) -> dict[str, int]:
    """Write a seeded sample of ``n`` rows of the MOSES training set (``moses_index,smiles``)."""
    smiles = list(_moses_smiles(moses_train_file()))
    if n > len(smiles):
        raise InputError(f"asked for {n} molecules, MOSES train has {len(smiles)}")
    chosen = sorted(random.Random(seed).sample(range(len(smiles)), n))
    _write_gzip_csv(out, ("moses_index", "smiles"), [(i, smiles[i]) for i in chosen])
    return {"written": n, "population": len(smiles)}


def build_moses_metrics(out: str | Path, n_jobs: int = 1) -> dict[str, int]:
    """Write ``<split>.npz`` + ``<split>.json.gz`` per MOSES test split and the filter SMARTS into ``out``."""
    import shutil

    from molgan.evaluation import moses

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for split in moses.SETS.values():
        smiles = moses.moses_smiles(split)
        reference = moses.Reference.from_smiles(smiles, with_properties=split == "test", n_jobs=n_jobs)
        reference.save(out / split)
        written[split] = reference.fcd.n
    folder = package_dir("moses", moses.MOSES_PIP) / "metrics"
    for name in ("mcf.csv", "wehi_pains.csv"):
        shutil.copyfile(folder / name, out / name)
    return written


def build_fcd_stats(name: str, out: str | Path, n_jobs: int = 1) -> dict[str, int]:
    """Write ``<out>/<hash>.npz``: float32 ChemNet statistics of data set ``name``'s training split."""
    import numpy as np

    from molgan.evaluation import fcd, metrics

    smiles = metrics.load_reference(name)
    path = Path(out) / fcd.cache_file(smiles).name
    fcd.compute_stats(smiles, n_jobs=n_jobs).save(path, dtype=np.float32)
    return {"molecules": len(smiles), "file": str(path)}


def build_graphs(name: str, out: str | Path) -> dict[str, int]:
    """Write the encoded graphs of data set ``name`` as :func:`~molgan.data.datasets.load_dataset` caches
    them (``<out>/<name>-<options hash>.npz`` + ``.json``), compressed, for ``load_dataset`` to read
    instead of encoding the data set at its first use."""
    import json
    import shutil
    import tempfile
    import zipfile

    import numpy as np

    from molgan.data.datasets import load_dataset

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        dataset = load_dataset(name, cache_dir=tmp, shipped=False)
        stem = dataset.cache_file.with_suffix("")
        with np.load(stem.with_suffix(".npz"), allow_pickle=False) as data, \
                zipfile.ZipFile(out / f"{stem.name}.npz", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for key in data.files:  # fixed timestamps: a rebuild with the same inputs gives identical bytes
                info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w") as member:
                    np.lib.format.write_array(member, data[key], allow_pickle=False)
        shutil.copyfile(stem.with_suffix(".json"), out / f"{stem.name}.json")
    json.loads((out / f"{stem.name}.json").read_text())  # written whole
    return {"molecules": len(dataset), "file": str(out / f"{stem.name}.npz")}


def _moses_smiles(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            yield record["SMILES"].strip()


def _write_gzip_csv(out: str | Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m molgan.data.build", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    qm9 = commands.add_parser("qm9", help="all QM9 molecules from qm9pack")
    qm9.add_argument("--out", default="datasets/qm9.csv.gz")
    moses = commands.add_parser("moses-sample", help="a seeded sample of the MOSES training set")
    moses.add_argument("--out", default="datasets/moses_sample.csv.gz")
    moses.add_argument("--n", type=int, default=2000)
    moses.add_argument("--seed", type=int, default=0)
    metrics = commands.add_parser("moses-metrics", help="reference statistics of the MOSES test sets")
    metrics.add_argument("--out", default="datasets/moses")
    metrics.add_argument("--n-jobs", type=int, default=1)
    fcd_stats = commands.add_parser("fcd-stats", help="ChemNet statistics of a data set's training split")
    fcd_stats.add_argument("name", help="a bundled data set, e.g. qm9")
    fcd_stats.add_argument("--out", default="datasets/fcd")
    fcd_stats.add_argument("--n-jobs", type=int, default=1)
    graphs = commands.add_parser("graphs", help="a data set's encoded graphs, read at its first use instead of encoding it")
    graphs.add_argument("name", help="a bundled data set, e.g. qm9")
    graphs.add_argument("--out", default="datasets/graphs")
    args = parser.parse_args(argv)
    builders = {
        "qm9": lambda: build_qm9(args.out),
        "moses-sample": lambda: build_moses_sample(args.out, n=args.n, seed=args.seed),
        "moses-metrics": lambda: build_moses_metrics(args.out, n_jobs=args.n_jobs),
        "fcd-stats": lambda: build_fcd_stats(args.name, args.out, n_jobs=args.n_jobs),
        "graphs": lambda: build_graphs(args.name, args.out),
    }
    try:
        stats = builders[args.command]()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
