"""crotool: the Community Resource Officer program over one SQLite file."""

__version__ = "0.1.0"
