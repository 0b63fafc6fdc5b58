"""The first hour of a chemist (issue 16): forced CSV dialects, salts stripped everywhere, DataFrames,
honest evaluate defaults, collapse warnings, input guards, progress."""

import json

import pytest
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.data.readers import iter_records, parse_delimiter
from molgan.errors import InputError

runner = CliRunner()

#: A semicolon table whose header the sniffer reads as comma-separated (as many commas as semicolons).
AMBIGUOUS = "id;name,salt,form;smiles\na;x;CCO\nb;y;c1ccccc1O\n"


def test_parse_delimiter_names_and_refusal():
    assert [parse_delimiter(v) for v in (",", "comma", ";", "SEMICOLON", "tab", "\\t", "\t", None)] == [
        ",", ",", ";", ";", "\t", "\t", "\t", None
    ]
    with pytest.raises(InputError, match="unknown delimiter"):
        parse_delimiter("|")


def test_delimiter_forces_the_dialect_of_the_reader(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text(AMBIGUOUS)
    with pytest.raises(InputError, match="no column 'smiles'"):
        list(iter_records(path))  # sniffed as commas: the header has no smiles cell
    records = list(iter_records(path, delimiter=";"))
    assert [r.smiles for r in records] == ["CCO", "c1ccccc1O"] and records[0].fields["id"] == "a"


@pytest.mark.parametrize("command", ["score", "screen", "evaluate", "data"])
def test_every_reading_command_takes_delimiter(tmp_path, command):
    path = tmp_path / "mols.csv"
    path.write_text("id\tsmiles\na\tCCO\nb\tc1ccccc1O\n")  # a .csv file that is tab-separated
    out = str(tmp_path / "out.csv")
    args = {
        "score": ["score", str(path), "-r", "qed", "-o", out],
        "screen": ["screen", str(path), "-o", out],
        "evaluate": ["evaluate", str(path), "--json", "--no-fcd"],
        "data": ["data", "info", str(path), "--json", "--no-cache"],
    }[command]
    result = runner.invoke(app, args + ["--delimiter", "tab"])
    assert result.exit_code == 0, result.output
    if command == "evaluate":
        assert json.loads(result.stdout)["validity"] == 1.0
    elif command == "data":
        assert json.loads(result.stdout)["n_kept"] == 2
    else:
        assert (tmp_path / "out.csv").read_text().splitlines()[1].startswith("CCO,a")
    bad = runner.invoke(app, args + ["--delimiter", "pipe", "--force"] if command in ("score", "screen") else args + ["--delimiter", "pipe"])
    assert bad.exit_code != 0 and "unknown delimiter" in str(bad.exception or bad.output)


def test_train_passes_delimiter_to_the_data_set(tmp_path, monkeypatch):
    import molgan.api

    seen = {}

    def fake_load_dataset(source, **options):
        seen.update(options)
        raise InputError("stop here")

    monkeypatch.setattr(molgan.api, "load_dataset", fake_load_dataset)
    result = runner.invoke(app, ["train", "--data", "x.csv", "--out", str(tmp_path / "run"), "--delimiter", ";", "-q"])
    assert result.exit_code != 0 and seen["delimiter"] == ";"
