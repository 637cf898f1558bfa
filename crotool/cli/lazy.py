"""A Typer group whose commands are imported when they run: Click's lazy group, on Typer 0.28.

Typer has no lazy loading: building a command inspects its function's signature, and importing
a command module imports the domain it calls. So a group here names its commands in a table,
word -> the module that defines it (COMMANDS in commands.py, REPORTS in report/__init__.py),
and imports and builds a module the first time one of its words is looked up:
`crotool gaps ...` imports crotool.cli.gaps alone, and shell completion builds only the words
already typed. `--help` lists the table's words in the table's order (and builds them all, for
their one-line help).

This is Click's documented pattern (a group's `get_command` and `list_commands` over a table)
with one change: the table lives behind the group's `commands` mapping itself, because Typer's
group reads that mapping directly (its `list_commands`, its "did you mean" on a typo), and so do
the tests and the docs that walk the whole command tree. Walking it builds every command.

Each command module has `register(app)`, which adds its words to a Typer app; a module is built
by registering it on a throwaway app with the group's own settings and taking the commands Typer
made (`typer.main.get_command`), so a command comes out exactly as if it had been added to the
whole app up front. Only public Typer names are used (none of the Click that Typer vendors).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, ClassVar, cast

import typer
import typer.main
from typer.core import TyperGroup


class LazyGroup(TyperGroup):
    """A group whose subcommands come from `table` (word -> module), built on first use.

    Subclasses set `table`; Typer makes the group (`typer.Typer(cls=...)`), so the table is a
    class attribute rather than an argument. Commands registered the ordinary way (none, today)
    are kept too, listed after the table's.
    """

    table: ClassVar[Mapping[str, str]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self, dict(self.commands))

    def list_commands(self, ctx: Any) -> list[str]:  # Click's Context (not re-exported)
        # Typer's own lists `commands.items()`, which would build every command to name them.
        return list(self.commands)


class LazyCommands(MutableMapping[str, Any]):
    """A lazy group's commands by word: every word of the table is there from the start (`in`,
    iterating and `len` import nothing); reading one imports and builds its module.

    Values are Click commands; they are typed Any because Typer does not re-export Click's
    Command class (it vendors Click privately).
    """

    def __init__(self, group: LazyGroup, built: dict[str, Any]) -> None:
        self._group = group
        self._table = dict(group.table)
        self._built = built
        self.loaded: list[str] = []  # the modules built, in order (tests/test_startup.py)

    def __getitem__(self, word: str) -> Any:
        if word not in self._built:
            module = self._table[word]  # KeyError: no such command
            self._load(module)
            if word not in self._built:
                raise RuntimeError(f"{module} does not register {word!r}, though the command "
                                   "table says it does")
        return self._built[word]

    def __contains__(self, word: object) -> bool:
        return word in self._built or word in self._table

    def __iter__(self) -> Iterator[str]:
        yield from self._table
        yield from (word for word in self._built if word not in self._table)

    def __len__(self) -> int:
        return len(self._table.keys() | self._built.keys())

    def __setitem__(self, word: str, command: Any) -> None:
        self._built[word] = command

    def __delitem__(self, word: str) -> None:
        if word not in self:
            raise KeyError(word)
        self._built.pop(word, None)
        self._table.pop(word, None)

    def _load(self, module: str) -> None:
        """Import `module` and build its commands, keeping those the table gives it."""
        holder = typer.Typer(rich_markup_mode=self._group.rich_markup_mode,
                             suggest_commands=self._group.suggest_commands,
                             add_completion=False)
        holder.callback()(_nothing)  # a group, even for a module of one command
        importlib.import_module(module).register(holder)
        made = cast(TyperGroup, typer.main.get_command(holder)).commands
        for word, command in made.items():
            if self._table.get(word) == module:
                self._built.setdefault(word, command)
        self.loaded.append(module)


def _nothing() -> None:
    """The throwaway app's callback: never run."""
