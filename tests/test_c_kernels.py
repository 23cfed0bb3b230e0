"""Runs the standalone C kernel tests (csrc/tests/test_*.c): they compile without Python."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = sorted((ROOT / "csrc" / "tests").glob("test_*.c"))


@pytest.mark.skipif(shutil.which(os.environ.get("CC", "cc")) is None, reason="no C compiler")
@pytest.mark.parametrize("src", TESTS, ids=[t.stem for t in TESTS])
def test_c_kernel_suite(src, tmp_path):
    cc = os.environ.get("CC", "cc")
    kernels = sorted(str(p) for p in (ROOT / "csrc").glob("*.c"))
    exe = tmp_path / src.stem
    build = subprocess.run(
        [cc, "-O2", "-std=gnu99", "-I", str(ROOT / "csrc" / "include"), *kernels, str(src), "-o", str(exe),
         "-lm", "-lpthread"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, cwd=str(ROOT / "csrc" / "tests"), timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
