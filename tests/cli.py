"""Run the ``socle`` command in tests: in-process (Typer's ``CliRunner``, fast, measured by
coverage) or, for the few tests that prove the installed command itself, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from socle.cli import app

SOCLE = [sys.executable, "-c", "from socle.cli import main; main()"]


@dataclass(frozen=True)
class Run:
    """What a user sees: the exit code and the two output streams."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def socle(*args: str, home: Path | None = None) -> Run:
    """``socle ARGS [--home HOME]`` in this process."""
    argv = [*args, "--home", str(home)] if home else list(args)
    result = CliRunner().invoke(app, argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash is a test failure with its traceback, not an exit code
    return Run(result.exit_code, result.stdout, result.stderr)


def socle_process(*args: str, home: Path | None = None, cwd: Path | None = None) -> Run:
    """``socle ARGS`` as a user runs it: a fresh interpreter, in ``cwd``."""
    argv = [*SOCLE, *args, *(["--home", str(home)] if home else [])]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    return Run(done.returncode, done.stdout, done.stderr)
