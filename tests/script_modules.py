"""The repository's scripts as modules, for the tests.

``scripts/`` is a folder of command-line files, not a package; a script imports
its neighbours by name (``scripts/paper_runs.py`` imports ``paper_jobs``, the job
list beside it), as ``python scripts/paper_runs.py`` allows. Importing this module
puts ``scripts/`` on ``sys.path`` once, so a test imports them the same way:
``from script_modules import paper_jobs``.
"""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

import paper_jobs
import paper_runs

__all__ = ["SCRIPTS", "paper_jobs", "paper_runs"]
