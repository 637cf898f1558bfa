"""Rows out: this package owns output, and formats only what it is handed (rows, a cursor's
tuples with their column spec, words, the day); it reads no database and no clock.

Start at render.py (`render(rows, fmt, view=...)` picks the module for each format): view.py
(the View spec), encode.py (JSON, CSV), terminal.py (Rich tables, the pager), document.py
(HTML, Markdown), charts.py and pictures.py (SVG charts, the reports' terminal pictures),
annual_report.py, files.py (stdout, atomic --output), messages.py (stderr).
"""
