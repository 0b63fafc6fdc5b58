"""The README's screening campaign, at a small scale: shards generated, scored and screened on their
own, then merged and de-duplicated, give the hits of one process screening everything."""

from __future__ import annotations

import csv

import pytest

from conftest import run_main

DRAWS, SHARDS = "400", 2


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow  # two shards through three commands each, then the merge
def test_a_sharded_campaign_finds_the_hits_of_one_process(tmp_path, capsys, monkeypatch):
    def run(args):
        code, _, err = run_main(args, capsys, monkeypatch)
        assert code == 0, err

    screen = ["--where", "qed>0.45", "--lipinski", "--pains"]
    for i in range(SHARDS):
        run(["sample", "--draws", DRAWS, "--seed", "0", "--shard", f"{i}/{SHARDS}",
                         "-o", str(tmp_path / f"part_{i}.smi.gz"), "--quiet"])
        run(["score", str(tmp_path / f"part_{i}.smi.gz"), "--reward", "qed",
                         "-o", str(tmp_path / f"scored_{i}.csv.gz")])
        run(["screen", str(tmp_path / f"scored_{i}.csv.gz"), *screen,
                         "-o", str(tmp_path / f"hits_{i}.csv")])
    header, body = None, []
    for i in range(SHARDS):  # (head -1 hits_0.csv; tail -q -n +2 hits_*.csv) > merged.csv
        lines = (tmp_path / f"hits_{i}.csv").read_text().splitlines(keepends=True)
        header = header or lines[0]
        body += lines[1:]
    (tmp_path / "merged.csv").write_text(header + "".join(body))
    run(["screen", str(tmp_path / "merged.csv"), "-o", str(tmp_path / "hits.csv")])

    # the parts, concatenated, are the one-process file (tests/test_shard.py): screen that in one go
    with open(tmp_path / "all.smi.gz", "wb") as whole:
        for i in range(SHARDS):
            whole.write((tmp_path / f"part_{i}.smi.gz").read_bytes())
    run(["screen", str(tmp_path / "all.smi.gz"), *screen, "-o", str(tmp_path / "one.csv")])
    hits = [r["smiles"] for r in _rows(tmp_path / "hits.csv")]
    assert hits and hits == [r["smiles"] for r in _rows(tmp_path / "one.csv")]
    assert len(set(hits)) == len(hits)
