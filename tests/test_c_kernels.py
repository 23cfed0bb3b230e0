"""Runs the standalone C kernel tests (csrc/tests/test_*.c, which compile
without Python) through csrc/tests/run_c_tests.sh: one run builds the library
objects once and every test program, and each file is then one pytest case."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "csrc" / "tests" / "run_c_tests.sh"
TESTS = sorted((ROOT / "csrc" / "tests").glob("test_*.c"))

pytestmark = pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None, reason="no C compiler")


@pytest.fixture(scope="module")
def c_run():
    return subprocess.run(["sh", str(RUNNER)], capture_output=True, text=True, timeout=1800)


@pytest.mark.parametrize("src", TESTS, ids=[t.stem for t in TESTS])
def test_c_kernel_suite(src, c_run):
    passed = any(line.startswith(f"PASS {src.stem} ") for line in c_run.stdout.splitlines())
    assert passed, c_run.stdout[-4000:] + c_run.stderr[-4000:]


def test_c_runner_reports_success(c_run):
    assert c_run.returncode == 0, c_run.stdout[-4000:] + c_run.stderr[-4000:]
