"""The docs cannot drift from the code.

- docs/reference.md is exactly what docs/gen_reference.py writes from the command tree now.
- docs/design.md names every package and module of crotool/ once, by its full path in backticks
  (`crotool/store/db.py`; a package as `crotool/store/`), and no module that does not exist.
- No page (README.md, docs/*.md) mentions a module file that is gone, such as the flat layout's
  crotool/render.py.
- The columns docs/formats.md gives for each list and report are the ones it writes.
- The README's tour prints what it shows, run step by step on a fresh database.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import typer.main

from crotool.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = ROOT / "crotool"

# Modules that a change in progress adds, which design.md may describe before they exist (none
# now: every module it names is checked against the tree).
PLANNED: set[str] = set()


def generator():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_is_what_the_generator_writes_now():
    committed = (DOCS / "reference.md").read_text(encoding="utf-8")
    fresh = generator().render()
    diff = "".join(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                        "docs/reference.md", "generated", n=1))
    assert committed == fresh, (
        "docs/reference.md is out of date: run `python docs/gen_reference.py`\n" + diff[:3000])


def test_the_reference_holds_every_group_and_command():
    headings = set(re.findall(r"^##+ (crotool.*)$", (DOCS / "reference.md").read_text(
        encoding="utf-8"), re.M))
    paths = []

    def walk(cmd, path):
        paths.append(" ".join(path))
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), ["crotool"])
    assert len(paths) > 60
    assert set(paths) == headings


def modules() -> set[str]:
    """Every package (a folder with __init__.py, as `crotool/cli/`) and every other .py file
    (`crotool/cli/app.py`) of the crotool package, walked from the tree."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(ROOT).as_posix()
        found.add(rel[: -len("__init__.py")] if path.name == "__init__.py" else rel)
    return found


def named_in_design() -> Counter[str]:
    text = (DOCS / "design.md").read_text(encoding="utf-8")
    return Counter(name for name in re.findall(r"`(crotool/[\w/]*?(?:\.py|/)?)`", text)
                   if name.endswith((".py", "/")))


def test_the_tree_has_modules_to_name():
    found = modules()
    assert {"crotool/", "crotool/cli/", "crotool/store/db.py", "crotool/errors.py"} <= found
    assert len(found) > 50


def test_design_names_every_module_and_package_exactly_once():
    named = named_in_design()
    missing = sorted(modules() - set(named))
    twice = sorted(name for name, count in named.items() if count > 1)
    assert not missing, f"docs/design.md does not name: {missing}"
    assert not twice, f"docs/design.md names more than once: {twice}"


def test_design_names_no_module_that_does_not_exist():
    gone = sorted(set(named_in_design()) - modules() - PLANNED)
    assert not gone, f"docs/design.md names modules that do not exist: {gone}"


PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
# A path to a Python file, as prose writes one: crotool/output/render.py, store/db.py, db.py,
# tests/test_layers.py, bench/run.py.
PY_PATH = re.compile(r"(?<![\w./-])((?:[\w.]+/)*\w+\.py)\b")
ELSEWHERE = ("tests/", "bench/", "docs/", ".ci/")


def stale_paths(text: str) -> list[str]:
    """The Python file names in `text` that name nothing: a path under tests/, bench/ or docs/
    that is not there, or a module of crotool that is not (crotool/ may be left out: store/db.py;
    a bare file name must be some module's name)."""
    existing = modules() | PLANNED
    basenames = {name.rsplit("/", 1)[-1] for name in existing} | {"__init__.py"}
    stale = []
    for name in PY_PATH.findall(text):
        if name.startswith(ELSEWHERE):
            ok = (ROOT / name).exists()
        elif "/" in name:
            ok = (name if name.startswith("crotool/") else f"crotool/{name}") in existing
        else:
            ok = name in basenames
        if not ok:
            stale.append(name)
    return stale


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_no_page_names_a_module_that_is_gone(page):
    assert not stale_paths(page.read_text(encoding="utf-8"))


def test_a_stale_module_path_is_found():
    assert stale_paths("see crotool/render.py and views.py") == ["crotool/render.py", "views.py"]
    assert stale_paths("tests/test_nothing_here.py") == ["tests/test_nothing_here.py"]
    assert stale_paths("store/db.py, crotool/store/db.py, db.py, bench/run.py") == []


def documented_columns() -> list[tuple[str, str]]:
    """(command, columns) of docs/formats.md's table of JSON and CSV shapes."""
    text = (DOCS / "formats.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `crotool ([^`]+)` \| ([^|]+?) \|$", text, re.M)


COLUMNS = documented_columns()


def test_formats_documents_the_columns_of_the_lists_and_reports():
    assert len(COLUMNS) >= 30


@pytest.mark.parametrize("command,columns", COLUMNS, ids=[c for c, _ in COLUMNS])
def test_the_documented_columns_are_what_the_command_writes(cli, seeded, command, columns):
    result = cli(*command.split(), "-f", "csv")
    assert result.stdout.splitlines()[0] == columns.replace(", ", ","), result.stderr


def test_the_readme_tour_is_real_output(tmp_path):
    """Each `$ command` of the README's console blocks, in order, in one shell folder and on one
    fresh database, prints every line shown under it (on stdout or stderr; `...` stands for
    what differs from run to run) and exits 0."""
    shim = tmp_path / "bin" / "crotool"  # the console script, as this interpreter runs it
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m crotool "$@"\n')
    shim.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
           "CROTOOL_DB": str(work / "crotool.db"), "CROTOOL_TODAY": "2024-01-15",
           "COLUMNS": "100"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ran = 0
    for block in re.findall(r"```console\n(.*?)```", readme, re.S):
        for step in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, *shown = step.rstrip("\n").split("\n")
            result = subprocess.run(["bash", "-c", command], cwd=work, env=env,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, (command, result.stderr)
            lines = result.stdout.splitlines() + result.stderr.splitlines()
            for line in shown:
                pattern = ".*".join(map(re.escape, line.split("...")))
                assert any(re.fullmatch(pattern, out) for out in lines), (command, line, lines)
            ran += 1
    assert ran >= 10


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lowercase, punctuation dropped (hyphens and
    underscores kept), spaces as hyphens."""
    found = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (heading := re.match(r"#{1,6} (.*)", line)):
            text = re.sub(r"[^\w\- ]", "", heading.group(1).lower())
            found.add(text.replace(" ", "-"))
    return found


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_link_between_the_pages_leads_somewhere(page):
    """A relative link names a file that exists, and an anchor a heading of that page."""
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # https://...: not ours to check
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(
                file.read_text(encoding="utf-8")):
            broken.append(target)
    assert not broken, f"{page.name}: links to nothing: {broken}"
