"""Runs the standalone C kernel tests (csrc/tests/test_*.c, which compile
without Python) through csrc/tests/run_c_tests.sh, one pytest case per file."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "csrc" / "tests" / "run_c_tests.sh"
TESTS = sorted((ROOT / "csrc" / "tests").glob("test_*.c"))


@pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None, reason="no C compiler")
@pytest.mark.parametrize("src", TESTS, ids=[t.stem for t in TESTS])
def test_c_kernel_suite(src):
    name = src.stem[len("test_"):]
    run = subprocess.run(["sh", str(RUNNER), name], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
