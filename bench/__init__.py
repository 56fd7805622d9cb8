"""Benchmarks for the SCR lifecycle service (issue 8): ``python -m bench.run [--full] [--json PATH]``.

Not part of the test suite: it starts its own embedded stack (Temporal dev server, SMTP sink, SQLite, `scr api`
and `scr worker` processes) in a temporary folder, measures, prints a table and writes JSON. See BENCHMARKS.md.
"""
