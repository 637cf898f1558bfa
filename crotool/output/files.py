"""Where output goes: stdout, or an `--output` file written atomically.

A file is written to a temporary file in the same folder, fsynced, and renamed over the target
only once complete: a reader never sees half of it, and an error or Ctrl-C on the way leaves the
old file as it was. Its mode follows the user's umask, as any tool's output does (a web server
can read a nightly report), or is 0600 when `private` (the output carries notes). A character
device or a FIFO (`/dev/null`, a pipe a script reads) is written in place: replacing it would
put a regular file there.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crotool.errors import CroError


def stdout_write(text: str) -> None:
    """Write to the stdout of the moment (a test or a pager may have replaced it)."""
    sys.stdout.write(text)


@contextmanager
def open_output(output: str | None, *, private: bool = False
                ) -> Iterator[Callable[[str], Any]]:
    """A `write(text)` for stdout, or for `output` written atomically: the text goes to a
    temporary file in the same folder, renamed over `output` only once complete (see
    `write_atomic`); an error or Ctrl-C on the way leaves `output` as it was."""
    if output is None or output == "-":
        yield stdout_write
        sys.stdout.flush()
        return
    path = Path(output)
    in_place, folder = _target(path)
    if in_place:
        try:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                yield fh.write
        except OSError as exc:
            raise CroError(f"cannot write {path}: {exc.strerror}") from None
        return
    import tempfile  # here: it imports random (and its seeding), which stdout never needs

    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CroError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh.write
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600 if private else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise CroError(f"cannot write {path}: {exc.strerror}") from None
        raise


def _target(path: Path) -> tuple[bool, Path]:
    """(write in place, the folder of the temporary file) for an -o path, or a CroError."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise CroError(f"cannot write {path}: {exc.strerror}") from None
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        return True, path.parent
    if st is not None and not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise CroError(f"cannot write {path}: not a regular file",
                       hint="give a file name, or - for stdout")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CroError(f"cannot write {path}: no folder {folder}")
    return False, folder


def _umask() -> int:
    mask = os.umask(0o077)  # reading the umask means setting it; set it straight back
    os.umask(mask)
    return mask


def emit(text: str, output: str | None, *, private: bool = False) -> None:
    """A whole text to stdout, or atomically to `output`."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(Path(output), text, private=private)


def write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    """Write a whole file or nothing: a reader never sees half of it (mode and special files
    as the module says). The one mechanism is `open_output`, which streams; this is its
    whole-text form."""
    with open_output(str(path), private=private) as write:
        write(text)
