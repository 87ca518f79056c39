"""Reference implementation of the generated persons server, on SQLite.

The generated `persons_server` package (never edited) is importable because the
project's own install (`make` sets it up) maps it to `generated/persons_server`.
"""
