"""What a server process loads to serve pages: the charting and array libraries only when a chart or an
indicator is computed, Pillow only when an image is attached or shown, the Persian calendar only when a
Persian date is written, so each worker stays small (an upload's peak memory is counted against it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "numpy",
    "matplotlib",
    "scipy",
    "weasyprint",
    "highspy",
    "ortools",
    "PIL",
    "c2pa",
    "pysequoia",
    "jdatetime",
    "greenlet",  # jdatetime's
    "pandas",
    "openpyxl",
    "pyxform",
    "lxml",
    # The project's own: the field-export importers and the report builders, loaded by their first page.
    "corridor.intake.services",
    "corridor.intake.readers",
    "corridor.reports.services",
    "corridor.reports.monthly",
)


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


def test_no_api_pattern_repeats_a_unicode_class_a_counted_number_of_times() -> None:
    # pydantic compiles each pattern with Rust's regex crate, which unrolls ``[\w…]{1,150}`` into 150 copies
    # of every Unicode word character's automaton: two such fields cost a server process 13 MB at start-up.
    # ``[\w…]+`` with ``max_length`` says the same and costs nothing.
    import re

    from corridor.api.main import api

    patterns: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(api.get_openapi_schema())
    assert patterns, "the schema names no pattern: this test reads the wrong thing"
    counted = re.compile(r"\\w(\{\d*,?\d+\}|[^]]*\]\{\d*,?\d+\})")  # \w{…} or [\w…]{…}
    assert counted.search(r"^[\w.@+\-]{1,150}$") and not counted.search(r"^[\w.@+\-]+$")
    assert not [p for p in patterns if counted.search(p)]


def test_every_operation_shares_one_response_class_for_the_error_object() -> None:
    # django-ninja would make one class per status per operation (about 750 for the errors, 14 MB a process).
    from corridor.api.core import ERROR_STATUSES
    from corridor.api.main import api

    operations = [
        operation
        for _, router in api._routers
        for view in router.path_operations.values()
        for operation in view.operations
    ]
    assert len(operations) > 50
    errors = {id(op.response_models[status]) for op in operations for status in ERROR_STATUSES}
    assert len(errors) == 1
