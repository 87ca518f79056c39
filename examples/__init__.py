"""Reference implementation of the generated persons server, on SQLite.

Importing this package puts `generated/` on `sys.path`, so that the generated
`persons_server` package (never installed, never edited) is importable.
"""

from __future__ import annotations

import sys
from pathlib import Path

GENERATED = Path(__file__).resolve().parent.parent / "generated"
if str(GENERATED) not in sys.path:
    sys.path.insert(0, str(GENERATED))
