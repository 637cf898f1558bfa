"""-q/--quiet on every command that writes a summary line on stderr (for cron, which mails
any output): the line goes, the exit code and the output stay, a warning stays."""

from __future__ import annotations

import pytest

# (arguments, exit code); each writes a summary or count line on stderr without -q.
QUIET = [
    (("gaps", "--fail-on-gaps", "-f", "csv"), 3),
    (("report", "presence", "--stale-days", "14", "--fail-on-stale", "-f", "csv"), 3),
    (("followups", "list", "--overdue", "--as-of", "2024-03-06T12:00", "--fail-on-overdue",
      "-f", "csv"), 3),
    (("duty", "list", "--limit", "3", "-f", "json"), 0),
    (("training", "due", "-f", "csv"), 0),
    (("agreements", "check", "--year", "2023-24", "-f", "csv"), None),
]


@pytest.mark.parametrize(("args", "code"), QUIET, ids=lambda a: " ".join(a[:2])
                         if isinstance(a, tuple) else None)
def test_quiet_drops_the_summary_and_keeps_the_exit_code_and_the_output(cli, seeded, args,
                                                                        code):
    loud = cli(*args)
    quiet = cli(*args, "-q")
    assert code is None or loud.exit_code == code, loud.stderr
    assert quiet.exit_code == loud.exit_code
    assert loud.stderr.strip(), "the command says nothing on stderr to quieten"
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout and quiet.stdout


def test_quiet_rollover_keeps_its_warnings_and_copies(cli, seeded):
    assert cli("years", "add", "2024-25", "--start", "2024-09-03",
               "--end", "2025-06-18").exit_code == 0
    assert cli("officers", "update", "2291", "--status", "inactive").exit_code == 0
    assert cli("assign", "2350", "juanita", "--year", "2023-24").exit_code == 0
    result = cli("years", "rollover", "2023-24", "2024-25", "-q", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(ln.startswith(("warning: ", "left out: ")) for ln in lines), lines
    assert any("out_of_jurisdiction" in ln for ln in lines)
    assert len(result.stdout.splitlines()) > 1  # the copies, as CSV
