"""``molgan bench``: one row of positive rates per size, as JSON or a table; bad options are one line."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

from molgan.cli.main import app

runner = CliRunner()
RATES = ("train_graphs_per_s", "autoencoder_train_graphs_per_s", "generate_per_s", "decode_per_s")


def test_bench_json_has_a_row_of_positive_rates_per_size():
    result = runner.invoke(app, ["bench", "--sizes", "qm9", "--seconds", "0.01", "--json", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["size"] for r in rows] == ["qm9"] and rows[0]["atoms"] == 9 and rows[0]["device"] == "cpu"
    assert all(rows[0][k] > 0 for k in RATES)


def test_bench_table_and_bad_size():
    from molgan.benchmarks.throughput import format_table

    table = format_table([{"size": "qm9", "atoms": 9, "device": "cpu", "batch": 128, **{k: 1234.5 for k in RATES}}])
    assert "decoded graphs/s" in table and "1,234" in table
    result = runner.invoke(app, ["bench", "--sizes", "zinc", "--seconds", "0.01"])
    assert result.exit_code != 0 and "zinc" in str(result.exception)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_bench_on_cuda():
    result = runner.invoke(app, ["bench", "--device", "cuda", "--seconds", "0.1", "--json"])
    assert result.exit_code == 0, result.output
    assert {r["size"] for r in json.loads(result.stdout)} == {"qm9", "moses"}
