"""The public Python API type-checks: ``mypy --strict src/numdist`` reports nothing.

mypy runs as in CI (the ``[tool.mypy]`` settings of pyproject.toml apply), with a
fresh cache directory so that a stale cache can neither hide nor invent errors.
mypy is part of the ``test`` extra; without it this test fails rather than skips.
"""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "numdist"


def test_mypy_strict_passes(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed (it is in the test extra: pip install 'numdist[test]')")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "mypy_cache"),
         "--no-color-output", str(PACKAGE)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    report = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0, f"mypy --strict {PACKAGE} failed (exit {proc.returncode}):\n{report}"
