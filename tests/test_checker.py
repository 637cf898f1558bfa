"""How the checker finds a record type's rules: the schema names the module, the module's RULES
names the class (program/checker.py). Both directions are checked, so that a record type whose
rules are written but not named (or named but not written) fails here, not in a user's load."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import crotool.program
from crotool.program.checker import Rules
from crotool.store.schema import SECTIONS


def test_every_section_that_names_rules_finds_them():
    for name, section in SECTIONS.items():
        if section.rules is None:
            continue
        module = importlib.import_module(f"crotool.program.{section.rules}")
        assert issubclass(module.RULES[name], Rules), name


def test_every_rules_class_is_named_by_its_section():
    for info in pkgutil.iter_modules(crotool.program.__path__):
        module = importlib.import_module(f"crotool.program.{info.name}")
        for name, kind in getattr(module, "RULES", {}).items():
            assert SECTIONS[name].rules == info.name, (info.name, name)
            assert issubclass(kind, Rules), (info.name, name)


def test_the_checker_imports_no_record_type():
    """The rules are imported on first use: the checker itself loads none of them."""
    probe = ("import json, sys; import crotool.program.checker; "
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith('crotool.'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    loaded = set(json.loads(out))
    ruled = {f"crotool.program.{s.rules}" for s in SECTIONS.values() if s.rules}
    assert not loaded & ruled, sorted(loaded & ruled)
    assert not {m for m in loaded if m.startswith(("crotool.intake", "crotool.output"))}
