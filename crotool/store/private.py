"""Private folders: made 0700 one by one, whatever the umask.

The database's folder and the audit keys' folder are both made so; this sits below `db` and
`audit` so that each can make one without importing the other.
"""

from __future__ import annotations

import os
from pathlib import Path


def make_private_dirs(folder: Path) -> None:
    """Make `folder` and every missing parent 0700, one by one (`mkdir(parents=True)` gives
    the intermediate ones the umask's 0777 under umask 000)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by another process: it did the same
        os.chmod(new, 0o700)  # mkdir's mode is masked by the umask
