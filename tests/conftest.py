"""Shared test fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_data_cache(tmp_path_factory, monkeypatch):
    """Keep the data cache of every test out of ``~/.cache`` (one folder shared by the session)."""
    monkeypatch.setenv("MOLGAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "molgan-cache"))
