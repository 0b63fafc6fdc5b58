import numpy as np
import pytest
from rdkit import Chem

from molgan.errors import InputError
from molgan.evaluation.screen import (
    AlertFilter,
    Condition,
    LipinskiFilter,
    NoveltyFilter,
    UniqueFilter,
    format_report,
    parse_condition,
    screen,
    screen_iter,
)

RHODANINE = "O=C1NC(=S)SC1=Cc1ccccc1"  # ene_rhod_A, a PAINS hit
NITROBENZENE = "O=[N+]([O-])c1ccccc1"  # Brenk: nitro group
BIG = "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC(=O)O"  # MW 663 and logP 17: two violations
GREASY = "CCCCCCCCCCCCCCCCCCCCCCCCC"  # logP 10 only: one violation
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


def mols(*smiles):
    return [Chem.MolFromSmiles(s) for s in smiles]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("qed>0.6", Condition("qed", ">", 0.6)),
        (" mw <= 350 ", Condition("mw", "<=", 350.0)),
        ("logp!=-1.5", Condition("logp", "!=", -1.5)),
        ("SA<4e0", Condition("sa", "<", 4.0)),
        ("hbd==2", Condition("hbd", "==", 2.0)),
    ],
)
def test_parse_condition(text, expected):
    assert parse_condition(text) == expected


@pytest.mark.parametrize("text", ["qed>", "qed>>1", ">0.5", "qed 0.5", "qed>nan", "qed=0.5", "", "qed>0.5\nmw<3"])
def test_parse_condition_errors_are_one_line(text):
    with pytest.raises(InputError, match="cannot parse condition") as info:
        parse_condition(text)
    assert "\n" not in str(info.value)


def test_unknown_property_lists_known():
    with pytest.raises(InputError, match="unknown property 'foo'.*known: qed"):
        parse_condition("foo>1")


def test_condition_nan_never_passes():
    values = np.array([0.2, 0.7, np.nan])
    assert parse_condition("qed>0.6").test(values).tolist() == [False, True, False]
    assert parse_condition("qed!=0.2").test(values).tolist() == [False, True, False]


def test_lipinski_allows_one_violation():
    assert LipinskiFilter()(mols(ASPIRIN, GREASY, BIG) + [None]).tolist() == [True, True, False, False]
    assert LipinskiFilter(max_violations=0)(mols(ASPIRIN, GREASY)).tolist() == [True, False]


def test_alerts():
    assert AlertFilter("pains")(mols(RHODANINE, ASPIRIN, "CCO")).tolist() == [False, True, True]
    assert AlertFilter("brenk")(mols(NITROBENZENE, "CCO", "c1ccccc1")).tolist() == [False, True, True]
    assert "ene_rhod_A(235)" in AlertFilter("pains").matches(Chem.MolFromSmiles(RHODANINE))
    with pytest.raises(InputError):
        AlertFilter("nope")


def test_novelty_ignores_stereo_and_bad_references():
    novel = NoveltyFilter(["OCC", "CC(O)CC", "not a smiles"])
    assert novel.n_reference_invalid == 1
    assert novel(mols("CCO", "C[C@H](O)CC", "CCN") + [None]).tolist() == [False, False, True, False]


def test_unique_keeps_first_canonical_and_stereoisomers():
    unique = UniqueFilter()
    assert unique(mols("CCO", "OCC", "C[C@H](O)CC", "C[C@@H](O)CC")).tolist() == [True, False, True, True]
    assert unique(mols("C(C)O")).tolist() == [False]  # remembers across calls


def test_screen_counts_and_order():
    smiles = ["CCO", "OCC", RHODANINE, "not a smiles", "", ASPIRIN, BIG, NITROBENZENE]
    result = screen(smiles, where=["mw>40"], lipinski=True, pains=True, brenk=True, properties=["qed"])
    assert result.report == [
        ("valid", 8, 6),
        ("unique", 6, 5),
        ("lipinski", 5, 4),
        ("pains", 4, 3),
        ("brenk", 3, 1),  # aspirin is a phenol ester, nitrobenzene a nitro group
        ("mw>40", 1, 1),
    ]
    assert result.smiles == ["CCO"]
    assert result.indices == [0]
    assert result.n_invalid == 2 and result.n_read == 8
    assert set(result.properties) >= {"qed", "mw", "logp", "hbd", "hba"}
    assert result.properties["mw"] == pytest.approx([46.069], abs=1e-3)
    assert "lipinski" in format_report(result.report)


def test_screen_keeps_input_order_and_dedupe_switch():
    smiles = ["c1ccccc1O", "CCO", "Oc1ccccc1", "CCN"]
    assert screen(smiles).smiles == ["c1ccccc1O", "CCO", "CCN"]
    result = screen(smiles, unique=False, novel_against=["CCO"])
    assert result.smiles == ["c1ccccc1O", "Oc1ccccc1", "CCN"]
    assert result.indices == [0, 2, 3]
    assert result.report == [("valid", 4, 4), ("novel", 4, 3)]


def test_screen_iter_chunks_share_state_and_report_so_far():
    smiles = ["CCO", "CCN", "OCC", "CCC", "NCC", "CCO", "xx"]
    chunks = list(screen_iter(smiles, chunk_size=2))
    assert len(chunks) == 4
    assert [c.indices for c in chunks] == [[0, 1], [3], [], []]
    assert chunks[-1].report == [("valid", 7, 6), ("unique", 6, 3)]
    whole = screen(smiles, chunk_size=2)
    assert whole.smiles == ["CCO", "CCN", "CCC"] and whole.indices == [0, 1, 3]


def test_screen_empty_input_and_given_mols():
    assert screen([]).report == [("valid", 0, 0), ("unique", 0, 0)]
    given = mols("CCO", "CCN")
    result = screen(["CCO", "CCN"], mols=given, where=["heavy_atoms>=3"])
    assert result.mols[0] is given[0]
    with pytest.raises(InputError):
        screen(["CCO"], properties=["nonsense"])
