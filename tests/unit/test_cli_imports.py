"""The ``socle`` command starts fast: heavy libraries load only in the commands that use them.

Timing is measured in ``benchmarks/cli_startup.py``; this test catches the usual regression, a
top-level import that drags a heavy library into every start.
"""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

HEAVY = ("sklearn", "matplotlib", "fastapi", "uvicorn", "duckdb", "sqlalchemy", "pandas", "numpy")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, orjson\nprint(orjson.dumps(sorted(sys.modules)).decode())"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    modules: list[str] = orjson.loads(result.stdout.strip().splitlines()[-1])
    return {m.split(".")[0] for m in modules}


@pytest.mark.parametrize(
    "code",
    [
        "import socle.cli",
        "import sys\nfrom typer.testing import CliRunner\nfrom socle.cli import app\n"
        "assert CliRunner().invoke(app, ['request', 'review', '--help']).exit_code == 0",
        "from socle.api import Role",
    ],
    ids=["import", "sub-command help", "api roles"],
)
def test_starting_the_command_loads_no_heavy_library(code: str) -> None:
    assert _loaded_after(code) & set(HEAVY) == set()


def test_the_probe_sees_a_heavy_import() -> None:
    """The check above can fail: importing the node does load DuckDB and SQLAlchemy."""
    assert {"duckdb", "sqlalchemy"} <= _loaded_after("import socle.node")
