"""The pipeline joins up: ``-`` for standard input and output, sniffed CSV dialects, SD input to evaluate."""

import json

from rdkit import Chem
from typer.testing import CliRunner

from molgan.cli.main import app
from molgan.data.readers import iter_records, sniff_delimiter

runner = CliRunner()


def test_a_chembl_export_reads_as_is(tmp_path):
    path = tmp_path / "chembl.csv"
    path.write_text('"ChEMBL ID";"Smiles";"MW"\n"CHEMBL1";"CCO";"46.07"\n"CHEMBL2";"c1ccccc1O";"94.11"\n')
    records = list(iter_records(path))
    assert [(r.smiles, r.fields) for r in records] == [
        ("CCO", {"ChEMBL ID": "CHEMBL1", "MW": "46.07"}), ("c1ccccc1O", {"ChEMBL ID": "CHEMBL2", "MW": "94.11"})
    ]


def test_the_delimiter_is_sniffed_from_the_header():
    assert sniff_delimiter("id,smiles") == "," and sniff_delimiter("id\tsmiles") == "\t"
    assert sniff_delimiter("id;smiles;mw") == ";" and sniff_delimiter('"a,b";smiles') == ";"
    assert sniff_delimiter("smiles", default="\t") == "\t"


def test_score_to_stdout_pipes_into_screen_from_stdin(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,smiles\na,CCO\nb,not_a_smiles\nc,CC(=O)Nc1ccc(O)cc1\n")
    scored = runner.invoke(app, ["score", str(path), "-r", "qed", "-o", "-"])
    assert scored.exit_code == 0, scored.output
    screened = runner.invoke(app, ["screen", "-", "-w", "total>0.45", "-o", str(tmp_path / "hits.csv")], input=scored.stdout)
    assert screened.exit_code == 0, screened.output
    lines = (tmp_path / "hits.csv").read_text().splitlines()
    assert lines[0] == "smiles,id,qed_raw,qed,total,reason" and [line.split(",")[1] for line in lines[1:]] == ["c"]


def test_smiles_lines_from_stdin_to_every_reading_command(tmp_path):
    text = "CCO\nc1ccccc1O\n"
    screened = runner.invoke(app, ["screen", "-", "-w", "mw>50", "-o", "-"], input=text)
    assert screened.exit_code == 0, screened.output
    assert screened.stdout.splitlines() == ["smiles\tmw", "c1ccccc1O\t94.113"]
    drawn = runner.invoke(app, ["draw", "-", "-o", str(tmp_path / "grid.svg")], input=text)
    assert drawn.exit_code == 0, drawn.output and (tmp_path / "grid.svg").stat().st_size > 0
    evaluated = runner.invoke(app, ["evaluate", "-", "--json", "--no-fcd"], input=text + "xx\n")
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["validity"] == 2 / 3


def test_evaluate_reads_sdf(tmp_path):
    path = tmp_path / "mols.sdf"
    path.write_text("".join(Chem.MolToMolBlock(Chem.MolFromSmiles(s)) + "$$$$\n" for s in ("CCO", "CCN")))
    result = runner.invoke(app, ["evaluate", str(path), "--json", "--no-fcd"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["validity"] == 1.0
