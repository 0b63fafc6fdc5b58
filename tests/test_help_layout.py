"""Every command's --help follows one layout: a one-sentence summary, then examples that run that
command, then the options."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from molgan.cli.main import app

runner = CliRunner()
COMMANDS = [["train"], ["sample"], ["evaluate"], ["score"], ["screen"], ["draw"], ["info"], ["models"], ["prior"],
            ["optimize"], ["analogs"], ["interpolate"], ["bench"], ["data", "info"], ["version"]]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_help_has_a_summary_then_examples_then_options(command):
    result = runner.invoke(app, [*command, "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    text = result.output
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip() and not p.strip().startswith("Usage:")]
    summary = " ".join(paragraphs[0].split())
    assert summary.endswith(".") and not summary.startswith("╭"), f"summary of {command}: {summary!r}"
    examples = text.find("Example")
    options = text.find("Options")
    assert 0 < examples < options, f"{command}: examples must come before the options"
    assert re.search(rf"molgan {' '.join(command)}\b", text[examples:options]), f"{command}: no example runs it"
