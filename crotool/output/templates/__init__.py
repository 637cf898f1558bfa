"""The HTML template(s), shipped inside the package (the wheel includes this folder)."""

from pathlib import Path


def folder() -> str:
    return str(Path(__file__).resolve().parent)
