"""Strict YAML in: documents of mappings, lists and text, each node with its line.

YAML is read from the parser's event stream (the C parser where PyYAML has it) and composed
here, not by a PyYAML constructor: that is what lets us refuse duplicate keys with their line,
refuse anchors, aliases and explicit tags (an alias bomb of a few hundred bytes expands to tens
of millions of nodes), cap depth and size, and never let `NO`, `0123` or `12:30` become a bool,
an octal number or a base-60 integer. Every scalar arrives as text (or None for "no value").

Seed documents (`seed`: a mapping of sections) and YAML imports (`importer`: one list of
records) are both read here; the file's bytes and their limits are `readers`'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crotool.errors import Problem, ValidationFailed
from crotool.intake.readers import MAX_DEPTH, failure
from crotool.store.fields import CONTROL, Record

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


class YMap(dict):
    """A YAML mapping that remembers where it and each of its keys stood."""

    __slots__ = ("line", "key_lines")
    line: int
    key_lines: dict[str, int]


class YList(list):
    """A YAML list that remembers the line it starts on."""

    __slots__ = ("line",)
    line: int


def parse_yaml(text: str, source: str, on_item: Callable[[Any, int], None] | None = None
               ) -> list[Any]:
    """Every document of a YAML stream, as YMap / YList / str / None, strictly.

    With `on_item`, each entry of a document's top-level list is handed to it as soon as it
    is read, and not kept (the list stays empty): an import holds one record at a time, not
    the tree of the whole file (a 63 MB file took 2 GB as a tree).
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs: list[Any] = []
    stack: list[Any] = []  # containers being built
    pending_key: list[Any] = []  # per mapping on the stack: the key awaiting its value
    nodes = 0

    def add(value: Any, line: int) -> None:
        if not stack:
            docs.append(value)
            return
        top = stack[-1]
        if isinstance(top, YList):
            if on_item is not None and len(stack) == 1 and not isinstance(value, (YMap, YList)):
                on_item(value, line)  # a plain value as an entry: the caller reports it
                return
            top.append(value)
            return
        key = pending_key[-1]
        if key is _NO_KEY:
            if not isinstance(value, str) and value is not None:
                raise failure(source, line, "a mapping key must be a plain name")
            name = "" if value is None else value
            if name in top:
                raise failure(
                    source, line,
                    f"duplicate key '{name}' (first at line {top.key_lines[name]}); "
                    "each key may appear once in a mapping",
                )
            top.key_lines[name] = line
            pending_key[-1] = name
        else:
            top[key] = value
            pending_key[-1] = _NO_KEY

    try:
        for event in yaml.parse(text, Loader=loader):
            kind = type(event).__name__
            if kind in ("StreamStartEvent", "StreamEndEvent", "DocumentEndEvent"):
                continue
            line = event.start_mark.line + 1
            if kind == "DocumentStartEvent":
                continue
            if kind == "AliasEvent":
                raise failure(source, line,
                            "YAML aliases (*name) are not allowed; write the value out")
            if getattr(event, "anchor", None) is not None:
                raise failure(source, line,
                            "YAML anchors (&name) are not allowed; write the value out")
            if getattr(event, "tag", None) is not None:
                raise failure(source, line,
                            f"YAML tags ({event.tag}) are not allowed; remove the tag")
            nodes += 1
            if kind == "ScalarEvent":
                bad = CONTROL.search(event.value)
                if bad:
                    # decode_text saw the file's bytes; a double-quoted escape ("\e", "\0")
                    # makes a control character only here, and it is no more legitimate.
                    raise failure(source, line, f"control character U+{ord(bad.group()):04X} "
                                "(written as an escape) is not allowed")
                plain = not event.style  # None (Python parser) or "" (C parser)
                value = None if plain and event.value in _NULLS else event.value
                add(value, line)
            elif kind in ("MappingStartEvent", "SequenceStartEvent"):
                if len(stack) >= MAX_DEPTH:
                    raise failure(source, line, f"nested deeper than {MAX_DEPTH} levels")
                container: Any = YMap() if kind == "MappingStartEvent" else YList()
                container.line = line
                if isinstance(container, YMap):
                    container.key_lines = {}
                add(container, line)
                stack.append(container)
                pending_key.append(_NO_KEY)
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                stack.pop()
                pending_key.pop()
                if on_item is not None and len(stack) == 1 and isinstance(stack[0], YList):
                    item = stack[0].pop()  # an entry of the top-level list, complete
                    on_item(item, item.line)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "cannot be read"
        if exc.context and exc.problem and exc.context_mark is not None:
            # "found unexpected end of stream" alone points past the end of the file; the
            # context says where the unclosed quote or bracket began.
            problem = f"{exc.context} (from line {exc.context_mark.line + 1}), {exc.problem}"
        raise failure(source, line, f"malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise failure(source, 1, f"malformed YAML: {exc}") from None
    return docs


class _NoKey:
    __slots__ = ()


_NO_KEY = _NoKey()


def yaml_records(items: Any, source: str, what: str) -> list[Record]:
    """A YAML list of mappings -> records (fields as text, None, or lists of text)."""
    if not isinstance(items, YList):
        line = getattr(items, "line", 1)
        raise failure(source, line, f"{what} must be a list of records (- field: value)")
    problems: list[Problem] = []
    records = [r for item in items
               if (r := yaml_record(item, int(getattr(item, "line", getattr(items, "line", 1))),
                                    source, what, problems.append)) is not None]
    if problems:
        raise ValidationFailed(problems, subject=source)
    return records


def yaml_record(item: Any, line: int, source: str, what: str,
                on_problem: Callable[[Problem], None]) -> Record | None:
    """One entry of a YAML list as a record, or None after reporting why it is not one."""
    if not isinstance(item, YMap):
        on_problem(Problem(f"{source}:{line}", f"{what}: each entry must be a mapping "
                           "of field: value"))
        return None
    values: dict[str, Any] = {}
    bad = False
    for key, value in item.items():
        if isinstance(value, YMap):
            on_problem(Problem(f"{source}:{item.key_lines[key]}",
                               f"{what}.{key}: a mapping is not allowed here"))
            bad = True
            continue
        if isinstance(value, YList):
            if any(isinstance(v, (YMap, YList)) for v in value):
                on_problem(Problem(f"{source}:{item.key_lines[key]}",
                                   f"{what}.{key}: a list may only hold plain values"))
                bad = True
                continue
            value = list(value)
        values[key] = value
    return None if bad else Record(source, item.line, values, dict(item.key_lines))
