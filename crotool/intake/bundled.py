"""The files crotool ships: the bundled district seed (data/seed.yaml) and rule packs
(data/rules/ID.yaml), inside the package when installed, beside it in a source checkout."""

from __future__ import annotations

import re
from pathlib import Path

from crotool.errors import CroError

# `crotool load` with no file: the packs the bundled district applies, then its seed.
BUNDLED_PACKS = ("wa", "lwsd")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def bundled_file(*parts: str) -> Path | None:
    """A file of the package's data (data/...), or None."""
    package = Path(__file__).resolve().parents[1]
    for base in (package / "data", package.parent / "data"):
        candidate = base.joinpath(*parts)
        if candidate.is_file():
            return candidate
    return None


def bundled_seed() -> Path:
    """data/seed.yaml."""
    found = bundled_file("seed.yaml")
    if found is None:
        raise CroError("the bundled seed (data/seed.yaml) is missing from this install",
                       hint="reinstall crotool, or name a seed file: crotool load FILE")
    return found


def bundled_pack(pack: str) -> Path | None:
    """data/rules/PACK.yaml, for a pack id (a slug: never a path)."""
    return bundled_file("rules", f"{pack}.yaml") if _SLUG.match(pack) else None


def bundled_load() -> list[tuple[Path, str]]:
    """What `crotool load` with no file loads: the bundled packs, then the bundled seed."""
    packs = []
    for pack in BUNDLED_PACKS:
        path = bundled_pack(pack)
        if path is None:
            raise CroError(f"the bundled rule pack data/rules/{pack}.yaml is missing from this "
                           "install", hint="reinstall crotool")
        packs.append((path, f"bundled pack {pack}"))
    return [*packs, (bundled_seed(), "bundled seed")]
