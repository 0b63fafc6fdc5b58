import gzip

import pytest
from rdkit import Chem

from molgan.errors import InputError, NothingUsableError
from molgan.data.readers import MAX_LINE_CHARS, NOTES, ReadTally, iter_molecules, read_molecules


def dropped(result):
    return sum(v for k, v in result.skipped.items() if k not in NOTES)


def test_smiles_file_with_bom_crlf_header_blank_and_bad_lines(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_bytes("\ufeffSMILES name\r\nCCO ethanol\r\n\r\nC1CC broken\r\nc1ccccc1\r\n".encode())
    result = read_molecules(path)
    assert result.smiles == ["CCO", "c1ccccc1"]
    assert result.records == [{"name": "ethanol"}, {}]
    assert result.skipped == {"empty_line": 1, "unparsable_smiles": 1}
    assert result.n_read == 4 == len(result.mols) + dropped(result)
    assert result.source == str(path)


def test_smiles_file_without_header_and_last_line_without_newline(tmp_path):
    path = tmp_path / "mols.txt"
    path.write_text("CCO\tfirst one\nCC(=O)O")
    result = read_molecules(path)
    assert result.smiles == ["CCO", "CC(=O)O"]
    assert result.records[0] == {"name": "first one"}


def test_csv_finds_smiles_column_in_any_case(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text('id,SMILES,note\n1,CCO,"a, b"\n2,,empty\n3,xyz,bad\n\n4,C#N,ok\n')
    result = read_molecules(path)
    assert result.smiles == ["CCO", "C#N"]
    assert result.records == [{"id": "1", "note": "a, b"}, {"id": "4", "note": "ok"}]
    assert result.skipped == {"missing_smiles": 1, "unparsable_smiles": 1, "empty_line": 1}
    assert result.n_read == 5


def test_tsv_with_named_column(tmp_path):
    path = tmp_path / "mols.tsv"
    path.write_text("name\tstructure\nwater\tO\nammonia\tN\n")
    assert read_molecules(path, smiles_column="structure").smiles == ["O", "N"]


def test_missing_column_names_the_columns(tmp_path):
    path = tmp_path / "mols.csv"
    path.write_text("id,structure\n1,CCO\n")
    with pytest.raises(InputError, match="'id', 'structure'"):
        read_molecules(path)
    with pytest.raises(InputError, match="no column 'smi'"):
        read_molecules(path, smiles_column="smi")


def write_sdf(path, smiles, broken_after=None):
    blocks = []
    for i, text in enumerate(smiles):
        mol = Chem.MolFromSmiles(text)
        mol.SetProp("_Name", f"mol{i}")
        mol.SetProp("activity", str(i))
        blocks.append(Chem.MolToMolBlock(mol) + ">  <activity>\n" + str(i) + "\n\n$$$$\n")
        if i == broken_after:
            blocks.append("broken\n  no atoms here\n\n  9  9  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n")
    path.write_text("".join(blocks))


def test_sdf_with_a_broken_record_between_good_ones(tmp_path):
    path = tmp_path / "mols.sdf"
    write_sdf(path, ["CCO", "c1ccccc1", "CC(=O)O"], broken_after=0)
    result = read_molecules(path)
    assert result.smiles == ["CCO", "c1ccccc1", "CC(=O)O"]
    assert result.records[1] == {"activity": "1", "name": "mol1"}
    assert result.skipped == {"unparsable_record": 1}
    assert result.n_read == 4


@pytest.mark.parametrize("name", ["mols.smi.gz", "mols.csv.gz", "mols.sdf.gz"])
def test_gzipped_files(tmp_path, name):
    plain = tmp_path / name[:-3]
    if name.startswith("mols.sdf"):
        write_sdf(plain, ["CCO", "C#N"])
    else:
        plain.write_text("smiles\nCCO\nC#N\n")
    (tmp_path / name).write_bytes(gzip.compress(plain.read_bytes()))
    assert read_molecules(tmp_path / name).smiles == ["CCO", "C#N"]


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    path = tmp_path / "mols.smi.gz"
    data = gzip.compress(b"CCO\n" * 20000)
    path.write_bytes(data[: len(data) // 2])
    result = read_molecules(path)
    assert 0 < len(result.mols) < 20000
    assert set(result.smiles) == {"CCO"}  # the cut last line is not taken for a molecule
    assert result.skipped["truncated_file"] == 1


def test_not_a_gzip_file(tmp_path):
    path = tmp_path / "mols.smi.gz"
    path.write_text("CCO\n")
    with pytest.raises(InputError, match="not a gzip file"):
        read_molecules(path)


def test_huge_line_is_skipped(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_text("CCO\n" + "C" * (MAX_LINE_CHARS * 2 + 7) + "\nC#N\n")
    result = read_molecules(path)
    assert result.smiles == ["CCO", "C#N"]
    assert result.skipped == {"line_too_long": 1}


@pytest.mark.parametrize("content", [b"", b"\n\n", b"smiles\n", bytes(range(256)) * 40])
@pytest.mark.parametrize("suffix", [".smi", ".csv", ".sdf"])
def test_nothing_usable(tmp_path, content, suffix):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(content)
    with pytest.raises(NothingUsableError, match="no usable molecule"):
        read_molecules(path)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_molecules(tmp_path / "nope.smi")
    path = tmp_path / "mols.xyz"
    path.write_text("CCO\n")
    with pytest.raises(InputError, match="unknown file type"):
        read_molecules(path)


def test_fragment_policies(tmp_path):
    path = tmp_path / "salts.smi"
    path.write_text("CC(=O)[O-].[Na+]\nCCO\n")
    assert read_molecules(path).smiles == ["CC(=O)[O-].[Na+]", "CCO"]
    skip = read_molecules(path, keep_fragments="skip")
    assert skip.smiles == ["CCO"] and skip.skipped == {"several_fragments": 1}
    largest = read_molecules(path, keep_fragments="largest")
    assert Chem.MolToSmiles(largest.mols[0]) == "CC(=O)[O-]"
    assert largest.skipped == {"fragments_reduced": 1} and largest.n_read == 2


def test_iter_molecules_streams_and_tallies(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_text("CCO\nbad(\nC#N\n")
    tally = ReadTally()
    stream = iter_molecules(path, tally=tally)
    assert next(stream)[0] == "CCO"
    assert [text for text, _, _ in stream] == ["C#N"]
    assert tally.n_read == 3 and tally.skipped == {"unparsable_smiles": 1}


def test_comment_lines_of_a_smiles_file_are_skipped_and_counted(tmp_path):
    path = tmp_path / "mols.smi"
    path.write_text("smiles\n# made by hand\nCCO ethanol\n#C#N is not read\nC#N\n")
    result = read_molecules(path)
    assert result.smiles == ["CCO", "C#N"] and result.skipped == {"comment": 2}
