import pytest
import json
import subprocess
import sys

from typer.testing import CliRunner

from molgan.cli.main import app

runner = CliRunner()


def test_info_json_on_a_file(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_text("CCO\nOCC\nc1ccccc1\nbad(\nCCCl\n")
    result = runner.invoke(app, ["data", "info", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_read"] == 5 and report["n_valid"] == 4
    assert report["n_representable"] == report["n_roundtrip_exact"] == 3
    assert report["roundtrip_exactness"] == 1.0
    assert report["atom_types"] == ["C", "O", "Cl"] and report["max_atoms"] == 6
    assert report["skipped"] == {"duplicate": 1, "unparsable_smiles": 1}


def test_info_table_with_options(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text("id,structure\n1,CCO\n2,CCCCCCCC\n")
    result = runner.invoke(app, ["data", "info", str(path), "--smiles-column", "structure", "--max-atoms", "4"])
    assert result.exit_code == 0, result.output
    assert "round trip exact  1 (100.0000%)" in result.stdout
    assert "too_many_atoms 1" in result.stdout


def test_info_on_the_bundled_moses_sample():
    result = runner.invoke(app, ["data", "info", "moses-sample", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_read"] == 2000


def test_help_has_examples():
    result = runner.invoke(app, ["data", "info", "--help"])
    assert result.exit_code == 0
    assert "Examples" in result.stdout and "molgan data info qm9" in result.stdout


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "molgan.cli.main", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # over 5 s here (real processes)
def test_errors_are_one_line_without_traceback(tmp_path):
    table = tmp_path / "mols.csv"
    table.write_text("id,structure\n1,CCO\n")
    empty = tmp_path / "empty.smi"
    empty.write_text("")
    for args, needle in [
        ([str(tmp_path / "missing.smi")], "file not found"),
        ([str(table)], "no column 'smiles'"),
        ([str(empty)], "no usable molecule"),
    ]:
        done = run_cli("data", "info", *args)
        assert done.returncode == 2, done
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and needle in done.stderr
