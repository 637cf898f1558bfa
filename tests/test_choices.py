"""Options that take one of a schema field's choices: text, checked by the domain against
schema.py with `load`'s message and did-you-mean (exit 1), completed from schema.py."""

from __future__ import annotations

import pytest

from crotool.store.schema import SECTIONS


@pytest.mark.parametrize(("args", "message"), [
    (("officers", "update", "2307", "--status", "activ"),
     "--status: 'activ' is not allowed; use one of active, inactive (did you mean 'active'?)"),
    (("officers", "add", "9999", "--name", "N", "--agency", "kcso", "--status", "inactiv"),
     "--status: 'inactiv' is not allowed; use one of active, inactive "
     "(did you mean 'inactive'?)"),
    (("officers", "list", "--status", "activ"),
     "--status: 'activ' is not allowed; use one of active, inactive (did you mean 'active'?)"),
    (("connectors", "list", "--status", "curent"),
     "--status: 'curent' is not allowed; use one of current, new (did you mean 'current'?)"),
    (("assessments", "list", "--status", "canceled"),
     "--status: 'canceled' is not allowed; use one of scheduled, done, cancelled "
     "(did you mean 'cancelled'?)"),
    (("assign", "2307", "redmond", "--role", "addtional"),
     "--role: 'addtional' is not allowed; use one of cro, additional "
     "(did you mean 'additional'?)"),
    (("schools", "list", "--level", "hgh"),
     "--level: 'hgh' is not allowed; use one of elementary, middle, high, choice "
     "(did you mean 'high'?)"),
    (("engagements", "list", "--phase", "prevent"),
     "--phase: 'prevent' is not allowed; use one of prevention, mitigation, response, "
     "recovery (did you mean 'prevention'?)"),
])
def test_a_misspelt_choice_is_exit_1_with_did_you_mean(cli, seeded, args, message):
    from conftest import dump

    before = dump(seeded)
    result = cli(*args)
    assert result.exit_code == 1, result.stderr
    assert f"crotool: {message}" in result.stderr
    assert "Usage:" not in result.stderr and result.stdout == ""
    assert dump(seeded) == before


def _choice_options():
    """(command path, option) of every option that completes a schema field's choices."""
    import typer.main

    from crotool.cli.app import app

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, (*path, name))
            return
        for param in cmd.params:
            yield path, param, cmd

    return list(walk(typer.main.get_command(app), ()))


def test_no_option_keeps_its_own_copy_of_a_schema_enumeration():
    """A Click choice (an Enum type) of a schema field's values would be a second copy of
    schema.py's tuple, checked with another message and exit code."""
    tuples = {f.choices for s in SECTIONS.values() for f in s.fields if f.choices}
    for path, param, _ in _choice_options():
        values = getattr(param.type, "choices", None)
        if values is not None:
            assert tuple(values) not in tuples, (path, param.name, values)


@pytest.mark.parametrize(("path", "option", "section", "field"), [
    (("officers", "list"), "status", "officers", "status"),
    (("officers", "update"), "status", "officers", "status"),
    (("assign",), "role", "assignments", "role"),
    (("schools", "list"), "level", "schools", "level"),
    (("assessments", "list"), "status", "assessments", "status"),
    (("connectors", "list"), "status", "connectors", "status"),
    (("engagements", "add"), "phase", "engagements", "phase"),
])
def test_completion_offers_the_schema_choices(path, option, section, field):
    import typer

    found = [(p, cmd) for cmd_path, p, cmd in _choice_options()
             if cmd_path == path and p.name == option]
    assert len(found) == 1
    param, cmd = found[0]

    def complete(incomplete: str) -> list[str]:
        return [item.value for item in param.shell_complete(typer.Context(cmd), incomplete)]

    allowed = SECTIONS[section].field(field).choices
    assert complete("") == list(allowed)
    first = allowed[-1][:2]
    assert complete(first) == [c for c in allowed if c.startswith(first)]
