import csv
import gzip
import io
import os

import pytest
from rdkit import Chem

from molgan.errors import InputError
from molgan.data.writers import open_writer, output_format, write_molecules

SMILES = ["CCO", None, "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]


def _text(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.read()


def _csv_rows(path):
    return list(csv.DictReader(io.StringIO(_text(path))))


@pytest.mark.parametrize("name", ["out.csv", "out.csv.gz", "OUT.CSV"])
def test_csv_round_trip_keeps_invalid_rows_in_order(tmp_path, name):
    path = tmp_path / name
    n = write_molecules(path, SMILES, properties=["qed", "mw"])
    assert n == 4
    rows = _csv_rows(path)
    assert [r["smiles"] for r in rows] == ["CCO", "", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]
    assert list(rows[0]) == ["smiles", "qed", "mw"]
    assert float(rows[0]["mw"]) == pytest.approx(46.069, abs=1e-3)
    assert rows[1]["qed"] == "" and rows[1]["mw"] == ""  # NaN is an empty cell
    assert 0 < float(rows[3]["qed"]) < 1


@pytest.mark.parametrize("name", ["out.smi", "out.smi.gz"])
def test_smi_round_trip(tmp_path, name):
    path = tmp_path / name
    write_molecules(path, ["CCO", "c1ccccc1"])
    assert _text(path).splitlines() == ["CCO", "c1ccccc1"]


def test_smi_with_properties_has_no_header(tmp_path):
    path = tmp_path / "out.smi"
    write_molecules(path, ["CCO"], properties=["heavy_atoms"])
    assert _text(path).splitlines() == ["CCO\t3.0"]


def test_floats_are_written_with_four_decimals(tmp_path):
    path = tmp_path / "out.csv"
    with open_writer(path, properties=["mw"], columns=["x"]) as writer:
        writer.write("CCO", props={"x": -1e-9})
    assert _text(path).splitlines() == ["smiles,x,mw", "CCO,0.0,46.069"]


def test_sdf_title_is_the_id_column(tmp_path):
    path = tmp_path / "out.sdf"
    with open_writer(path, columns=["ID", "note"]) as writer:
        writer.write("CCO", props={"ID": "CHEMBL545", "note": "x"})
    with open_writer(tmp_path / "plain.sdf") as writer:
        writer.write("CCO")
    assert [m.GetProp("_Name") for m in Chem.SDMolSupplier(str(path))] == ["CHEMBL545"]
    assert (tmp_path / "plain.sdf").read_text().startswith("\n")  # no ID column: the title line stays empty


@pytest.mark.parametrize("name", ["out.sdf", "out.sdf.gz"])
def test_sdf_round_trip_with_tags(tmp_path, name):
    path = tmp_path / name
    with open_writer(path, properties=["mw"], columns=["id"]) as writer:
        writer.write("CCO", props={"id": "a"})
        writer.write(None, props={"id": "bad"})
        writer.write("c1ccccc1", Chem.MolFromSmiles("c1ccccc1"), {"id": "c"})
    handle = gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb")
    with handle:
        mols = list(Chem.ForwardSDMolSupplier(handle))
    assert [m.GetNumAtoms() for m in mols] == [3, 0, 6]  # the invalid row is an empty record
    assert [m.GetProp("smiles") if m.HasProp("smiles") else "" for m in mols] == ["CCO", "", "c1ccccc1"]
    assert [m.GetProp("id") for m in mols] == ["a", "bad", "c"]
    assert float(mols[0].GetProp("mw")) == pytest.approx(46.069, abs=1e-3)


def test_extra_columns_and_given_values(tmp_path):
    path = tmp_path / "out.csv"
    with open_writer(path, properties=["qed"], columns=["id", "score"]) as writer:
        writer.write("CCO", props={"id": "x,1", "score": 0.5, "qed": 0.25})  # given qed is kept
        writer.write_many(["C", "N"], props={"id": ["m", "n"], "score": [1, 2]})
        assert writer.n_written == 3
    rows = _csv_rows(path)
    assert [r["id"] for r in rows] == ["x,1", "m", "n"]
    assert rows[0]["qed"] == "0.25"
    assert [r["score"] for r in rows] == ["0.5", "1", "2"]


def test_unknown_value_is_not_dropped_silently(tmp_path):
    path = tmp_path / "out.csv"
    with pytest.raises(ValueError, match="not columns"):
        with open_writer(path) as writer:
            writer.write("CCO", props={"surprise": 1})
    assert os.listdir(tmp_path) == []


def test_exception_inside_with_leaves_nothing(tmp_path):
    path = tmp_path / "out.csv.gz"
    with pytest.raises(RuntimeError):
        with open_writer(path) as writer:
            writer.write("CCO")
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_existing_file_refused_then_untouched(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("precious\n")
    with pytest.raises(InputError, match="out.csv exists; use --force to overwrite"):
        write_molecules(path, ["CCO"])
    assert path.read_text() == "precious\n"
    with pytest.raises(KeyError):
        with open_writer(path, force=True) as writer:
            writer.write("CCO")
            raise KeyError("fail before the end")
    assert path.read_text() == "precious\n"
    assert os.listdir(tmp_path) == ["out.csv"]
    write_molecules(path, ["CCO"], force=True)
    assert path.read_text() == "smiles\nCCO\n"


def test_stdout(capsys):
    with open_writer("-") as writer:
        writer.write_many(["CCO", None, "C"])
    assert capsys.readouterr().out == "CCO\n\nC\n"


def test_bad_arguments(tmp_path):
    with pytest.raises(InputError, match="output format"):
        open_writer(tmp_path / "out.txt")
    with pytest.raises(InputError, match="known: .*qed"):
        open_writer(tmp_path / "out.csv", properties=["qed", "nonsense"])
    with pytest.raises(InputError, match="does not exist"):
        open_writer(tmp_path / "missing" / "out.csv")
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        open_writer(tmp_path / "d.csv")
    assert output_format("a.SDF.gz") == (".sdf", True)
    assert os.listdir(tmp_path) == ["d.csv"]


def test_write_many_streams_in_chunks(tmp_path):
    path = tmp_path / "big.csv.gz"
    n = write_molecules(path, (("C" * (1 + i % 5)) for i in range(5000)), properties=["heavy_atoms"])
    assert n == 5000
    rows = _csv_rows(path)
    assert len(rows) == 5000 and rows[4999]["heavy_atoms"] == "5.0"
