"""The house's layers hold, and the contract that says so can fail.

`lint-imports` (import-linter) reads the contracts in pyproject.toml: cli above intake and
output, those above the program, the program above the store; output reading neither the
database nor the domain; no circles inside a package. CI runs it on the tree; these tests run
it too, and run it on a copy of the package with one wrong import planted, to show that the
contract is not a formality.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed "
                                "(pip install '.[test]' brings it)")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the `crotool` package found under `root`, with root's contracts."""
    return subprocess.run([str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})


def planted(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package and its contracts, with `line` added to the top of `module`."""
    shutil.copytree(ROOT / "crotool", tmp_path / "crotool",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "crotool" / module
    text = target.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(head + sep + line + "\n" + rest if sep else line + "\n" + text)
    return tmp_path


def test_the_tree_keeps_its_layers() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.slow
def test_the_contract_fails_when_the_program_imports_output(tmp_path: Path) -> None:
    root = planted(tmp_path, "program/coverage.py", "import crotool.output.charts  # planted")
    result = lint(root)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "Layers: cli, then intake and output, then the program, then the store BROKEN" in (
        result.stdout)
    assert "crotool.program.coverage -> crotool.output.charts" in result.stdout


@pytest.mark.slow
def test_the_contract_fails_when_output_reads_the_database(tmp_path: Path) -> None:
    root = planted(tmp_path, "output/charts.py", "import crotool.store.db  # planted")
    result = lint(root)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "it reads no database and knows no domain BROKEN" in result.stdout
    assert "crotool.output.charts -> crotool.store.db" in result.stdout


@pytest.mark.slow
def test_the_contract_fails_on_a_circle_inside_a_package(tmp_path: Path) -> None:
    # The schema is what writes are made of: the schema importing the writer closes a loop.
    root = planted(tmp_path, "store/schema.py", "import crotool.store.writes  # planted")
    result = lint(root)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "No circles" in result.stdout and "crotool.store" in result.stdout
