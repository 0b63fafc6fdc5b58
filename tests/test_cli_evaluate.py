"""Tests of ``molgan evaluate`` through typer's CliRunner and one real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from typer.testing import CliRunner

from molgan.evaluation import fcd as fcd_stats
from molgan.cli.main import app

torch.set_num_threads(1)

runner = CliRunner()


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv(fcd_stats.CACHE_ENV, str(tmp_path / "cache"))


@pytest.fixture
def files(tmp_path):
    gen = tmp_path / "gen.csv"
    gen.write_text("smiles,step\nCCO,1\nc1ccccc1,1\n,2\nCC.O,2\nOCC,3\nCCN,3\n")
    ref = tmp_path / "ref.smi"
    ref.write_text("CCO\nCCC\nCC(C)O\nCCCO\n")
    return gen, ref


def test_evaluate_json_with_reference(files):
    gen, ref = files
    result = runner.invoke(app, ["evaluate", str(gen), "--reference", str(ref), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["n"], out["n_valid"], out["n_unique"]) == (6, 4, 3)
    assert out["validity"] == pytest.approx(4 / 6)
    assert out["uniqueness"] == pytest.approx(3 / 4)
    assert out["novelty"] == pytest.approx(2 / 3)
    assert out["fcd"] > 0
    assert "computing FCD statistics of 4 reference molecules" in result.stderr
    again = runner.invoke(app, ["evaluate", str(gen), "--reference", str(ref), "--json"])
    assert json.loads(again.stdout)["fcd"] == pytest.approx(out["fcd"])
    assert again.stderr == ""  # the reference statistics came from the cache


def test_evaluate_table_without_fcd(files):
    gen, ref = files
    result = runner.invoke(app, ["evaluate", str(gen), "-r", str(ref), "--no-fcd"])
    assert result.exit_code == 0, result.output
    rows = dict(line.split() for line in result.stdout.splitlines())
    assert rows["n_valid"] == "4" and rows["validity"] == "0.6667" and rows["novelty"] == "0.6667"
    assert "fcd" not in rows


def test_evaluate_smiles_column_and_missing_column(tmp_path):
    gen = tmp_path / "gen.tsv"
    gen.write_text("id\tmol\n1\tCCO\n2\tCCN\n")
    ok = runner.invoke(app, ["evaluate", str(gen), "--smiles-column", "MOL", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["n_unique"] == 2
    bad = runner.invoke(app, ["evaluate", str(gen)])
    assert bad.exit_code != 0  # InputError; main.run() turns it into one line and exit code 2


def test_evaluate_help_has_examples():
    result = runner.invoke(app, ["evaluate", "--help"])
    assert result.exit_code == 0
    assert "molgan evaluate samples.csv --reference qm9" in result.stdout


def test_missing_file_is_one_line_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "molgan.cli.main", "evaluate", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing.csv" in lines[0]
    assert "Traceback" not in proc.stderr
