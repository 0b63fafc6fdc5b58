"""``molgan sample --shard I/N``: the parts, concatenated in order, are the one-process file."""

from __future__ import annotations

import gzip

import pytest

from conftest import run_main
from molgan.errors import InputError
from molgan.sampling.shard import Shard, parse_shard, shard_from_env
from molgan.sampling.to_file import sample_to_file

RAW = 2500  # graphs: three blocks of 1024, the last one cut
DRAWS = 2100


def _parts(model, tmp_path, suffix: str, n: int, **counts) -> bytes:
    out = b""
    for i in range(n):
        path = tmp_path / f"part{i}of{n}{suffix}"
        sample_to_file(model, path, seed=3, shard=f"{i}/{n}", jobs=1, **counts)
        out += path.read_bytes()
    return out


@pytest.mark.parametrize("suffix", [".smi", ".csv"])
# the raw case: the plain generator (its graphs are a fixed range); the valid case: the model's default
# discriminator rejection sampling, whose accepted graphs among a fixed number of draws shard as well
@pytest.mark.parametrize("counts", [{"num": RAW, "raw": True, "discriminator_keep": 1.0}, {"draws": DRAWS}], ids=["raw", "valid"])
def test_concatenated_shards_are_the_single_process_file(tiny_model, tmp_path, suffix, counts):
    single = tmp_path / f"single{suffix}"
    result = sample_to_file(tiny_model, single, seed=3, jobs=1, **counts)
    whole = single.read_bytes()
    rows = [row.strip('"') for row in whole.decode().splitlines()[1 if suffix == ".csv" else 0:]]
    if counts.get("raw"):
        assert len(rows) == RAW and "" in rows and any(rows)  # invalid graphs are empty rows
    else:
        assert result.drawn == DRAWS and 0 < len(rows) < DRAWS and all(rows)
    for n in (2, 3):  # an even and an uneven split
        assert _parts(tiny_model, tmp_path, suffix, n, **counts) == whole, n


def test_valid_only_draws_are_the_valid_molecules_of_the_raw_draws(tiny_model, tmp_path):
    sample_to_file(tiny_model, tmp_path / "raw.smi", RAW, raw=True, seed=3, discriminator_keep=1.0)
    sample_to_file(tiny_model, tmp_path / "valid.smi", draws=RAW, seed=3, discriminator_keep=1.0)
    raw = (tmp_path / "raw.smi").read_text().splitlines()
    assert (tmp_path / "valid.smi").read_text().splitlines() == [s for s in raw if s]


def test_with_rejection_draws_count_generated_graphs_and_raw_counts_accepted_ones(tiny_model, tmp_path):
    """The model's default rejection sampling: ``draws`` are graphs generated (the rejected ones included),
    ``raw`` writes ``num`` accepted graphs; a raw run cannot be sharded, a run of draws can."""
    assert tiny_model.default_keep is not None  # the tiny model was trained by the default recipe
    placed = tiny_model.sample_raw(RAW, seed=3, mark_rejected=True)
    rejected = sum(s is False for s in placed)
    assert 0 < rejected < RAW  # some graphs rejected, some kept
    result = sample_to_file(tiny_model, tmp_path / "valid.smi", draws=RAW, seed=3)
    assert result.drawn == RAW and (tmp_path / "valid.smi").read_text().splitlines() == [s for s in placed if s]
    sample_to_file(tiny_model, tmp_path / "raw.smi", RAW, raw=True, seed=3)
    accepted = tiny_model.sample_raw(RAW, seed=3)
    assert (tmp_path / "raw.smi").read_text().splitlines() == [s or "" for s in accepted] and False not in accepted
    kept = [s for s in placed if s is not False]
    assert accepted[: len(kept)] == kept  # the same accepted graphs, in order
    with pytest.raises(InputError, match="splits --draws D"):
        sample_to_file(tiny_model, tmp_path / "part.smi", RAW, raw=True, shard="0/2")


def test_gzip_parts_concatenate_to_the_uncompressed_single_file(tiny_model, tmp_path):
    sample_to_file(tiny_model, tmp_path / "single.csv.gz", RAW, raw=True, seed=3, properties=["mw"], discriminator_keep=1.0)
    whole = gzip.decompress((tmp_path / "single.csv.gz").read_bytes())
    for i in range(3):
        sample_to_file(tiny_model, tmp_path / "part{shard}.csv.gz", RAW, raw=True, seed=3, properties=["mw"],
                       shard=Shard(i, 3), discriminator_keep=1.0)
    joined = b"".join((tmp_path / f"part{i}.csv.gz").read_bytes() for i in range(3))
    assert whole.startswith(b"smiles,mw\n") and gzip.decompress(joined) == whole  # what zcat a b c gives


def test_more_shards_than_graphs_leave_empty_parts(tiny_model, tmp_path):
    whole = (tmp_path / "single.csv", sample_to_file(tiny_model, tmp_path / "single.csv", 2, raw=True, discriminator_keep=1.0))[0].read_bytes()
    parts = [tmp_path / f"p{i}.csv" for i in range(3)]
    for i, path in enumerate(parts):
        sample_to_file(tiny_model, path, 2, raw=True, shard=Shard(i, 3), discriminator_keep=1.0)
    assert parts[0].read_bytes() == b"smiles\n" and b"".join(p.read_bytes() for p in parts) == whole


def test_shard_ranges_cover_the_run_in_order():
    assert [Shard(i, 3).range(10) for i in range(3)] == [(0, 3), (3, 6), (6, 10)]
    assert Shard(7, 100).name("part_{shard}.smi") == "part_07.smi"


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "10"}, Shard(4, 10)),
        ({"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "10"}, Shard(4, 10)),
        ({"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "2",
          "SLURM_ARRAY_TASK_COUNT": "5"}, Shard(3, 5)),
        ({"RANK": "2", "WORLD_SIZE": "4", "LOCAL_RANK": "0"}, Shard(2, 4)),
        ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3", "RANK": "1", "WORLD_SIZE": "2"}, Shard(3, 6)),
    ],
)
def test_auto_reads_the_job_array_and_torchrun(env, expected):
    assert parse_shard("auto", env) == expected == shard_from_env(env)


def test_variables_in_the_shard_are_read_from_the_environment():
    assert parse_shard("$SLURM_ARRAY_TASK_ID/100", {"SLURM_ARRAY_TASK_ID": "42"}) == Shard(42, 100)
    assert parse_shard("${RANK}/${WORLD_SIZE}", {"RANK": "1", "WORLD_SIZE": "2"}) == Shard(1, 2)
    assert parse_shard(None) == Shard(0, 1) and parse_shard("0/2", {}) == Shard(0, 2)
    with pytest.raises(InputError, match="RANK is not set"):
        parse_shard("$RANK/2", {})
    with pytest.raises(InputError, match="neither a SLURM"):
        parse_shard("auto", {})
    with pytest.raises(InputError, match="0 <= I < N"):
        parse_shard("auto", {"SLURM_ARRAY_TASK_ID": "10", "SLURM_ARRAY_TASK_COUNT": "10"})


@pytest.mark.parametrize(
    "args, message",
    [
        (["--shard", "3/2", "--raw"], "0 <= I < N, got 3/2"),
        (["--shard", "2/2", "--raw"], "0 <= I < N, got 2/2"),
        (["--shard", "-1/2", "--raw"], "0 <= I < N, got -1/2"),
        (["--shard", "1/0", "--raw"], "0 <= I < N, got 1/0"),
        (["--shard", "a/b", "--raw"], "I must be an integer, got 'a'"),
        (["--shard", "1", "--raw"], "must be I/N"),
        (["--shard", "1/2"], "--shard splits a fixed number of draws"),
        (["--shard", "1/2", "--draws", "50", "--unique"], "--unique needs the whole run"),
        (["--draws", "50", "--num", "5"], "not both"),
        (["--draws", "50", "--raw"], "with --raw, --num counts the graphs"),
        (["--draws", "0"], "--draws must be a positive integer"),
    ],
)
def test_bad_shard_arguments_give_one_line_and_exit_2(tiny_model_dir, tmp_path, capsys, monkeypatch, args, message):
    out = tmp_path / "x.smi"
    code, _, stderr = run_main(["sample", "--model", tiny_model_dir, "-o", out, "-q", *args], capsys, monkeypatch)
    assert code == 2 and message in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert not out.exists()


def test_cli_shards_name_their_parts_and_concatenate(tiny_model_dir, tmp_path, capsys, monkeypatch):
    base = ["sample", "--model", tiny_model_dir, "--draws", "1500", "--seed", "1", "-q"]
    assert run_main([*base, "-o", tmp_path / "single.smi"], capsys, monkeypatch)[0] == 0
    for i in range(2):
        monkeypatch.setenv("RANK", str(i))
        monkeypatch.setenv("WORLD_SIZE", "2")
        code, _, stderr = run_main([*base, "--shard", "auto", "-o", tmp_path / "part{shard}.smi"], capsys, monkeypatch)
        assert code == 0 and f"part {i}/2" in stderr
    joined = (tmp_path / "part0.smi").read_bytes() + (tmp_path / "part1.smi").read_bytes()
    assert joined == (tmp_path / "single.smi").read_bytes()


def test_the_model_method_shards_like_the_function(tiny_model, tmp_path):
    tiny_model.sample_to_file(tmp_path / "a.smi", draws=1200, seed=2, shard="1/2")
    sample_to_file(tiny_model, tmp_path / "b.smi", draws=1200, seed=2, shard=Shard(1, 2))
    single = sample_to_file(tiny_model, tmp_path / "c.smi", draws=600, seed=2)
    assert (tmp_path / "a.smi").read_bytes() == (tmp_path / "b.smi").read_bytes() != (tmp_path / "c.smi").read_bytes()
    assert single.drawn == 600
