"""The house: the README's file map names every module, and the package reads as the data flow."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "molgan"
#: The subpackages in data-flow order, as the README's file map lists them.
FLOW = ("chem", "data", "nn", "latent", "training", "sampling", "evaluation", "scoring", "cli", "pretrained", "benchmarks")


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if path.name == "__init__.py" and len(relative.parts) > 1:
            continue
        names.append(relative.as_posix())
    return names


def _file_map() -> set[str]:
    """Module paths the README's file-map table names: the folder cell (carried down) + each module cell."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^### The file map\n(.*?)(?=^##)", text, flags=re.M | re.S)
    assert match, "README.md has no '### The file map' section"
    named, folder = set(), ""
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[1].startswith("`"):
            continue
        if cells[0]:
            folder = cells[0].strip("`").removeprefix("molgan/")
        for module in re.findall(r"`([\w*]+\.py)`", cells[1]):
            named.add(folder + module)
    return named


def test_the_readme_file_map_names_every_module():
    file_map = _file_map()
    cli = {name for name in _modules() if name.startswith("cli/") and name.endswith("_cmd.py")}
    missing = [name for name in _modules() if name not in file_map and not (name in cli and "cli/*_cmd.py" in file_map)]
    assert not missing, f"modules missing from the README's file map: {missing}"


def test_the_file_map_names_no_module_that_is_gone():
    gone = sorted(name for name in _file_map() - set(_modules()) if "*" not in name)
    assert not gone, f"the README's file map names modules that do not exist: {gone}"


def test_the_top_level_holds_only_the_flow_and_the_shared_modules():
    top_modules = {p.name for p in PACKAGE.glob("*.py")}
    assert top_modules <= {"__init__.py", "__main__.py", "api.py", "config.py", "checkpoint.py", "errors.py", "jobs.py", "validate.py"}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert set(FLOW) <= packages
