"""What a server process loads to serve pages: the charting and array libraries only when a chart or an
indicator is computed, so each worker stays small (an upload's peak memory is counted against it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("numpy", "matplotlib", "scipy", "weasyprint", "highspy", "ortools")


def test_loading_every_route_leaves_the_charting_and_array_libraries_unloaded(tmp_path: Path) -> None:
    code = (
        "import os, sys, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'corridor.settings'\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns\n"
        "import corridor.api.main, corridor.reports.views, corridor.reports.charts\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    environment = {**os.environ, "CORRIDOR_DATA_DIR": str(tmp_path)}
    environment.pop("CORRIDOR_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"loaded at start-up: {done.stdout.strip()}"
