"""The API writes the same files as the CLI: molgan.screen_file / molgan screen, sample_to_file / molgan sample;
ScreenSpec checks its fields once; one --jobs rule."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

import molgan
from molgan.cli.main import app
from molgan.errors import InputError
from molgan.evaluation.screen import ScreenSpec, screen
from molgan.jobs import available_cores, resolve_jobs

from test_cli_screen_draw import RHODANINE, samples  # noqa: F401  (samples is a fixture)

runner = CliRunner()


@pytest.mark.parametrize(
    "flags, fields, suffix",
    [
        (["--where", "mw>50", "--pains", "-p", "qed"], {"where": "mw>50", "pains": True, "properties": "qed"}, ".csv"),
        (["--lipinski", "--brenk", "--no-dedupe"], {"lipinski": True, "brenk": True, "unique": False}, ".smi"),
        (["--novel-against", "REF", "-p", "logp,mw"], {"novel_against": "REF", "properties": ["logp", "mw"]}, ".sdf"),
    ],
)
def test_screen_file_writes_the_cli_bytes(tmp_path, samples, flags, fields, suffix):
    reference = tmp_path / "ref.smi"
    reference.write_text("OCC\nOc1ccccc1\n")
    flags = [str(reference) if f == "REF" else f for f in flags]
    fields = {k: (str(reference) if v == "REF" else v) for k, v in fields.items()}
    by_cli, by_api = tmp_path / f"cli{suffix}", tmp_path / f"api{suffix}"
    result = runner.invoke(app, ["screen", str(samples), "-o", str(by_cli), *flags])
    assert result.exit_code == 0, result.output
    done = molgan.screen_file(samples, by_api, **fields)
    assert by_api.read_bytes() == by_cli.read_bytes()
    assert f"wrote {done.n_written} molecules" in result.output
    assert done.report[0] == ("valid", 6, 5)
    assert done.n_written > 0


def test_screen_file_takes_a_spec_and_refuses_an_existing_output(tmp_path, samples):
    out = tmp_path / "hits.smi"
    spec = ScreenSpec(where=("mw>50",), pains=True)
    assert molgan.screen_file(samples, out, spec).n_written == 2
    lines = out.read_text().splitlines()
    assert lines[0].split() == ["c1ccccc1O", "e", "94.113"]  # the other columns of the input, then the condition's property
    assert [line.split()[0] for line in lines] == ["c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]  # no header line
    with pytest.raises(InputError, match="exists"):
        molgan.screen_file(samples, out, spec)
    with pytest.raises(TypeError, match="not both"):
        molgan.screen_file(samples, out, spec, pains=True, force=True)
    with pytest.raises(InputError, match="file not found"):
        molgan.screen_file(tmp_path / "missing.csv", tmp_path / "x.smi", spec)


def test_screen_spec_checks_once_and_normalises():
    spec = ScreenSpec(where="qed > 0.5", properties="qed, logp")
    assert [c.name for c in spec.where] == ["qed>0.5"] and spec.properties == ("qed", "logp")
    assert ScreenSpec(where=["mw>50"], properties=["sa"]).columns == ["sa", "mw"]
    with pytest.raises(InputError, match="cannot parse condition"):
        ScreenSpec(where=["qed>>1"])
    with pytest.raises(InputError, match="unknown property foo"):
        ScreenSpec(properties="foo")
    smiles = ["CCO", "CCO", RHODANINE, "c1ccccc1O"]
    assert screen(smiles, ScreenSpec(pains=True)).smiles == screen(smiles, pains=True).smiles == ["CCO", "c1ccccc1O"]
    with pytest.raises(TypeError, match="not both"):
        screen(smiles, ScreenSpec(), pains=True)


def test_screen_file_imports_no_torch(tmp_path, samples):
    code = (
        f"import sys, molgan; molgan.screen_file({str(samples)!r}, {str(tmp_path / 'o.csv')!r}, where='qed>0.1');"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(
    "flags, options",
    [
        (["--raw", "--num", "700", "--seed", "2"], {"raw": True, "num": 700, "seed": 2}),
        (["--num", "50", "--unique", "--properties", "qed,mw"], {"num": 50, "unique": True, "properties": ["qed", "mw"]}),
    ],
)
def test_sample_to_file_writes_the_cli_bytes(tiny_model_dir, tiny_model, tmp_path, flags, options):
    by_cli = tmp_path / "cli.csv"
    result = runner.invoke(app, ["sample", "--model", str(tiny_model_dir), "--output", str(by_cli), "-q", *flags])
    assert result.exit_code == 0, result.output
    num = options.pop("num")
    done = molgan.sample_to_file(str(tiny_model_dir), tmp_path / "api.csv", num, **options)
    assert (tmp_path / "api.csv").read_bytes() == by_cli.read_bytes()
    assert done.written == num and done.drawn >= num
    assert f"wrote {num} " in result.output and f"({done.drawn} graphs drawn)" in result.output
    tiny_model.sample_to_file(tmp_path / "model.csv", num, **options)
    assert (tmp_path / "model.csv").read_bytes() == by_cli.read_bytes()


def test_sample_to_file_checks_before_loading(tmp_path):
    for kwargs, message in (
        ({"num": 0}, "--num must be a positive integer"),
        ({"num": 5, "max_draws": 0}, "--max-draws must be a positive integer"),
        ({"num": 5, "jobs": -2}, "--jobs must be a positive number, or 0 or -1"),
        ({"num": 5, "properties": ["nope"]}, "unknown property nope"),
    ):
        with pytest.raises(InputError, match=message):
            molgan.sample_to_file("no-such-model", tmp_path / "x.smi", **kwargs)


def test_one_jobs_rule():
    assert resolve_jobs(0) == resolve_jobs(-1) == available_cores() >= 1
    assert resolve_jobs(3) == 3
    for bad in (-2, -10, True, 1.5):
        with pytest.raises(InputError, match="--jobs must be a positive number, or 0 or -1 for all cores") as info:
            resolve_jobs(bad)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("command", [
    ["sample", "--num", "5", "-o", "OUT"],
    ["score", "IN", "-r", "qed", "-o", "OUT"],
    ["optimize", "qm9", "--reward", "qed", "--out", "OUT"],
])
def test_cli_jobs_rule_in_help_and_errors(tmp_path, command):
    (tmp_path / "in.smi").write_text("CCO\n")
    args = [str(tmp_path / "in.smi") if a == "IN" else str(tmp_path / "out.csv") if a == "OUT" else a for a in command]
    import typer

    options = typer.main.get_command(app).commands[command[0]].params
    assert "0 or -1: all cores" in next(o.help for o in options if "--jobs" in o.opts)
    result = runner.invoke(app, [*args, "--jobs", "-2"])
    assert isinstance(result.exception, InputError)  # molgan's main turns it into one "error: ..." line
    assert "--jobs must be a positive number, or 0 or -1 for all cores; got -2" == str(result.exception)
    assert not (tmp_path / "out.csv").exists()


def test_score_file_writes_the_cli_bytes(tmp_path):
    molecules = tmp_path / "in.smi"
    molecules.write_text("CCO\nnot_a_smiles\nc1ccccc1O\nCC(=O)Nc1ccc(O)cc1\n")
    by_cli, by_api = tmp_path / "cli.csv", tmp_path / "api.csv"
    result = runner.invoke(app, ["score", str(molecules), "-r", "druglike", "-o", str(by_cli)])
    assert result.exit_code == 0, result.output
    done = molgan.score_file(molecules, by_api, reward="druglike")
    assert by_api.read_bytes() == by_cli.read_bytes()
    assert len(done.table) == 4 and done.n_scored == 3 and done.n_read == 4 and sum(done.skipped.values()) == 1
    with pytest.raises(InputError, match="exists"):
        molgan.score_file(molecules, by_api, reward="druglike")
