"""Documents say which rules their figures follow: each applied rule pack's name and source, in
the footer of every HTML and Markdown document (issue 25: "the documents show the pack and its
source"), the annual report included; a database with no packs says nothing of rules."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize("fmt", ["html", "markdown"])
@pytest.mark.parametrize("command", [("gaps",), ("followups", "list"), ("report", "annual"),
                                     ("training", "due")])
def test_a_document_names_the_packs_it_follows_and_their_sources(cli, seeded: Path, fmt: str,
                                                                 command: tuple[str, ...]):
    result = cli(*command, "-f", fmt)
    assert result.exit_code in (0, 3), result.output
    text = result.stdout.replace("\\", "")  # Markdown escapes parentheses and colons
    assert "Rules: Washington State law for school resource officer programs (wa: RCW" in text
    assert "Lake Washington School District policy" in text and "(lwsd: LWSD Policy 4311" in text
    # Washington first, then the district's own policy: the order the district applies them.
    assert text.index("(wa: ") < text.index("(lwsd: ")


def test_a_database_without_packs_says_nothing_of_rules(cli, tmp_path: Path):
    seed = tmp_path / "tiny.yaml"
    seed.write_text("district: {name: Tiny}\nschool_years:\n"
                    "  - {id: '2023-24', start: 2023-09-05, end: 2024-06-21}\n")
    assert cli("load", str(seed)).exit_code == 0
    result = cli("years", "list", "-f", "markdown")
    assert result.exit_code == 0, result.output
    assert "Rules:" not in result.stdout
