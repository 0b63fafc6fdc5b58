"""molgan.data.atomic: one crash-safe file write and one crash-safe directory swap."""

from __future__ import annotations

import os
import stat

import pytest

import molgan.data.atomic as atomic_module
from molgan.data.atomic import atomic_dir, atomic_file, file_mode, recover_dir
from molgan.errors import InputError


def test_atomic_file_replaces_on_success_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_file(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # not visible until the block ends
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_file_keeps_the_old_file_when_the_block_fails(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_file_refuses_a_file_that_appeared_without_overwrite(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(InputError, match="exists"), atomic_file(target, overwrite=False) as tmp:
        tmp.write_text("mine")
        target.write_text("someone else's")
    assert target.read_text() == "someone else's"


def test_atomic_file_mode_is_the_replaced_files_or_the_umask_default(tmp_path):
    fresh = tmp_path / "fresh.txt"
    with atomic_file(fresh) as tmp:
        tmp.write_text("x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    fresh.chmod(0o640)
    assert file_mode(fresh) == 0o640
    with atomic_file(fresh) as tmp:
        tmp.write_text("y")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


def test_atomic_dir_swaps_in_a_new_directory(tmp_path):
    target = tmp_path / "model"
    for text in ("one", "two"):
        with atomic_dir(target, marker="meta.json") as staging:
            (staging / "meta.json").write_text(text)
    assert (target / "meta.json").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_atomic_dir_keeps_the_old_directory_when_the_sync_fails(tmp_path, monkeypatch):
    target = tmp_path / "model"
    with atomic_dir(target, marker="meta.json") as staging:
        (staging / "meta.json").write_text("one")

    def broken(paths):
        raise OSError("disk full")

    monkeypatch.setattr(atomic_module, "sync_files", broken)
    with pytest.raises(OSError), atomic_dir(target, marker="meta.json") as staging:
        (staging / "meta.json").write_text("two")
    assert (target / "meta.json").read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_kill_between_the_two_renames_is_recovered(tmp_path):
    target = tmp_path / "model"
    with atomic_dir(target, marker="meta.json") as staging:
        (staging / "meta.json").write_text("one")
    os.replace(target, tmp_path / ".model.old")  # where a kill after the first rename leaves it
    assert recover_dir(target, marker="meta.json")
    assert (target / "meta.json").read_text() == "one"
    assert not recover_dir(target, marker="meta.json")


def test_the_next_swap_recovers_first_and_an_incomplete_old_copy_is_not_restored(tmp_path):
    target = tmp_path / "model"
    old = tmp_path / ".model.old"
    old.mkdir()
    assert not recover_dir(target, marker="meta.json")  # no marker: not a complete directory
    (old / "meta.json").write_text("one")
    with atomic_dir(target, marker="meta.json") as staging:
        assert (target / "meta.json").read_text() == "one"  # put back before the new one is built
        (staging / "meta.json").write_text("two")
    assert (target / "meta.json").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
