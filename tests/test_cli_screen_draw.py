import csv
import gzip
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.errors import InputError

RHODANINE = "O=C1NC(=S)SC1=Cc1ccccc1"

runner = CliRunner()


@pytest.fixture
def samples(tmp_path):
    path = tmp_path / "samples.csv"
    path.write_text(
        "id,smiles\n"
        f"a,CCO\nb,OCC\nc,{RHODANINE}\nd,not_a_smiles\ne,c1ccccc1O\nf,CC(=O)Nc1ccc(O)cc1\n"
    )
    return path


def rows(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


def test_screen_csv_keeps_columns_and_prints_counts(tmp_path, samples):
    out = tmp_path / "hits.csv"
    result = runner.invoke(app, ["screen", str(samples), "-o", str(out), "--where", "mw>50", "--pains", "-p", "qed"])
    assert result.exit_code == 0, result.output
    got = rows(out)
    assert [r["smiles"] for r in got] == ["c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    assert [r["id"] for r in got] == ["e", "f"]
    assert list(got[0]) == ["smiles", "id", "qed", "mw"]
    table = {line.split()[0]: line.split()[1:3] for line in result.stderr.splitlines()[1:5]}
    assert table == {"valid": ["6", "5"], "unique": ["5", "4"], "pains": ["4", "3"], "mw>50": ["3", "2"]}
    assert "skipped while reading: unparsable_smiles 1" in result.stderr
    assert "wrote 2 molecules" in result.stderr


def test_screen_refuses_existing_output_and_force(tmp_path, samples):
    out = tmp_path / "hits.smi"
    out.write_text("keep me\n")
    result = runner.invoke(app, ["screen", str(samples), "-o", str(out)])
    assert isinstance(result.exception, InputError) and "use --force" in str(result.exception)
    assert out.read_text() == "keep me\n"
    result = runner.invoke(app, ["screen", str(samples), "-o", str(out), "--force", "--no-dedupe"])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == [  # a .smi file has no header line
        "CCO\ta", "OCC\tb", f"{RHODANINE}\tc", "c1ccccc1O\te", "CC(=O)Nc1ccc(O)cc1\tf"
    ]


def test_screen_to_stdout_and_novelty_file(tmp_path, samples):
    reference = tmp_path / "ref.smi"
    reference.write_text("OCC\nOc1ccccc1\n")
    result = runner.invoke(app, ["screen", str(samples), "-o", "-", "--novel-against", str(reference), "--lipinski"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "smiles\tid"
    assert lines[1:] == [f"{RHODANINE}\tc", "CC(=O)Nc1ccc(O)cc1\tf"]


def test_screen_novel_against_dataset_name_uses_its_training_split(tmp_path, samples, monkeypatch):
    import numpy as np

    import molgan.data.datasets

    class FakeSet:
        smiles = ["CCO", RHODANINE, "CC(=O)Nc1ccc(O)cc1"]

        def split(self, name):
            return np.array({"train": [0, 1], "valid": [], "test": [2]}[name])

    seen = []

    def load_dataset(name):
        seen.append(name)
        return FakeSet()

    monkeypatch.setattr(molgan.data.datasets, "load_dataset", load_dataset)
    result = runner.invoke(app, ["screen", str(samples), "-o", "-", "--novel-against", "qm9"])
    assert result.exit_code == 0, result.output
    # CCO (and its twin OCC) and the rhodanine are in the training split; paracetamol only in the test split
    assert result.stdout.splitlines()[1:] == ["c1ccccc1O\te", "CC(=O)Nc1ccc(O)cc1\tf"]
    assert seen == ["qm9"]
    monkeypatch.undo()
    result = runner.invoke(app, ["screen", str(samples), "-o", "-", "--novel-against", "no_such_set"])
    assert isinstance(result.exception, InputError)


def test_screen_bad_arguments_write_nothing(tmp_path, samples):
    for args in (["--where", "qed>>1"], ["-p", "qed,colour"], ["--novel-against", "missing.smi"]):
        result = runner.invoke(app, ["screen", str(samples), "-o", str(tmp_path / "o.csv"), *args])
        assert isinstance(result.exception, InputError), args
    result = runner.invoke(app, ["screen", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")])
    assert isinstance(result.exception, InputError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["samples.csv"]


def test_draw_png_and_svg(tmp_path, samples):
    png = tmp_path / "grid.png"
    result = runner.invoke(app, ["draw", str(samples), "-o", str(png), "--legend", "qed", "--max", "3", "--per-row", "2"])
    assert result.exit_code == 0, result.output
    assert png.read_bytes().startswith(b"\x89PNG")
    svg = tmp_path / "grid.svg"
    result = runner.invoke(app, ["draw", str(samples), "-o", str(svg), "--legend", "smiles"])
    assert result.exit_code == 0, result.output
    assert "<svg" in svg.read_text()
    result = runner.invoke(app, ["draw", str(samples), "-o", str(tmp_path / "g.png"), "--legend", "colour"])
    assert isinstance(result.exception, InputError)


def test_help_has_examples():
    for command in ("screen", "draw"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and f"molgan {command} " in result.output


def test_bad_where_in_a_real_process_is_one_line(tmp_path, samples):
    proc = subprocess.run(
        [sys.executable, "-m", "molgan.cli.main", "screen", str(samples), "-o", str(tmp_path / "o.csv"), "--where", "qed=>0.5"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "qed=>0.5" in proc.stderr
    assert not (tmp_path / "o.csv").exists()


@pytest.fixture
def scored(tmp_path):
    path = tmp_path / "scored.csv"
    path.write_text("id,smiles,total,qed\na,CCO,0.5,x\nb,c1ccccc1O,0.3,y\nc,CC(=O)Nc1ccc(O)cc1,,z\nd,CCCCO,0.9,n/a\n")
    return path


def test_where_filters_on_a_numeric_input_column(tmp_path, scored):
    out = tmp_path / "best.csv"
    result = runner.invoke(app, ["screen", str(scored), "-o", str(out), "-w", "total>0.4", "-w", "mw<100"])
    assert result.exit_code == 0, result.output
    got = rows(out)
    assert [r["id"] for r in got] == ["a", "d"]  # an empty cell never passes
    assert list(got[0]) == ["smiles", "id", "total", "qed", "mw"]  # the input column is not a property column


def test_a_property_never_overwrites_an_input_column_of_its_name(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("smiles,qed\nCCO,0.1\nc1ccccc1O,0.2\nCCCCO,0.3\n")
    out = tmp_path / "best.csv"
    result = runner.invoke(app, ["screen", str(path), "-o", str(out), "-p", "qed", "-w", "input_qed>0.15"])
    assert result.exit_code == 0, result.output
    assert "input column 'qed' is written as 'input_qed'" in result.stderr
    got = rows(out)
    assert list(got[0]) == ["smiles", "input_qed", "qed"]
    assert [r["input_qed"] for r in got] == ["0.2", "0.3"]
    assert all(float(r["qed"]) > 0.4 for r in got)  # RDKit's QED, not the input's


def test_where_on_a_missing_column_names_the_columns(tmp_path, scored):
    result = runner.invoke(app, ["screen", str(scored), "-o", str(tmp_path / "o.csv"), "-w", "totl>0.4"])
    assert isinstance(result.exception, InputError)
    assert "'totl'" in str(result.exception) and "columns of" in str(result.exception) and "id, total, qed" in str(result.exception)
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(InputError, match="neither a property"):  # no file, no columns
        import molgan

        molgan.screen(["CCO"], where="total>0.4")


def test_draw_refuses_an_existing_picture_without_force(tmp_path, samples):
    png = tmp_path / "grid.png"
    png.write_bytes(b"keep")
    result = runner.invoke(app, ["draw", str(samples), "-o", str(png)])
    assert isinstance(result.exception, InputError) and "use --force" in str(result.exception)
    assert png.read_bytes() == b"keep"
    assert runner.invoke(app, ["draw", str(samples), "-o", str(png), "--force"]).exit_code == 0
    assert png.read_bytes() != b"keep"


def test_neutral_smarts_exclude_smarts_and_largest_fragment(tmp_path):
    path = tmp_path / "in.smi"
    path.write_text("CCO\nCC(=O)[O-].[Na+]\nc1ccccc1O\nCCN\nC[N+](C)(C)C\n")
    out = tmp_path / "kept.smi"
    result = runner.invoke(app, [
        "screen", str(path), "-o", str(out), "--fragments", "largest", "--neutral", "--smarts", "[OX2H]",
        "--exclude-smarts", "c1ccccc1",
    ])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines() == ["CCO"]
    table = {line.split()[0]: line.split()[-3:-1] for line in result.stderr.splitlines()[1:6]}
    assert table["neutral"] == ["5", "3"] and table["[OX2H]"] == ["3", "2"] and table["not"] == ["2", "1"]
    salt = runner.invoke(app, ["screen", str(path), "-o", "-", "--fragments", "largest", "--smarts", "[O-]"])
    assert salt.stdout.splitlines() == ["CC(=O)[O-]"]  # the salt stripped: the largest fragment's SMILES
    bad = runner.invoke(app, ["screen", str(path), "-o", str(tmp_path / "x.smi"), "--smarts", "C(("])
    assert isinstance(bad.exception, InputError) and "cannot parse SMARTS 'C(('" in str(bad.exception)
