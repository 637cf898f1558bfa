"""The command line: the Typer app (app.py), its command table (commands.py, made lazy by
lazy.py), one module per command group and report/ for the reports; entry.py is the console
script."""
