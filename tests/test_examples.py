"""Every example under examples/ runs, and prints what the seeds and the issue promise."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name, *args, cwd=None):
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_seed_sample_vs_rsample():
    out = run("seed_sample_vs_rsample.py")
    assert "shapes: (10,) (10,)" in out
    assert "d mean(x) / d loc = 1.0" in out
    means = [float(v) for v in re.findall(r"평균: (\S+)", out)]
    assert len(means) == 2 and all(abs(m) < 1.5 for m in means)


def test_seed_batch_shapes_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    png = tmp_path / "scatter.png"
    out = run("seed_batch_shapes.py", png)
    shapes = [ast.literal_eval(line) for line in out.splitlines() if line.startswith("(")]
    # MVN: batch (3,), event (2,), sample() (3, 2), sample((100,)) (100, 3, 2);
    # Normal: batch (3, 2), event (); Independent: batch (3,), event (2,), sample (100, 3, 2)
    assert shapes == [(3,), (2,), (3, 2), (100, 3, 2), (3, 2), (), (3,), (2,), (100, 3, 2)]
    assert png.exists() and png.stat().st_size > 5000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_seed_categorical_values_match_post():
    out = run("seed_categorical.py")

    def row(label):
        # the array printed after `label`, up to the next labelled line
        text = out.split(label + " ", 1)[1]
        text = re.split(r"\n(?=[a-z])", text, maxsplit=1)[0]
        return np.array([float(v) for v in re.findall(r"-?\d+\.\d*", text)])

    # The numbers printed in the seed document (torch, 4 decimals)
    np.testing.assert_allclose(row("dist1.probs"), [0.25] * 4 + [0.33, 0.33, 0.33, 0.01], atol=1e-4)
    np.testing.assert_allclose(row("dist1.logits"), [-1.3863] * 4 + [-1.1087, -1.1087, -1.1087, -4.6052], atol=1e-4)
    np.testing.assert_allclose(row("dist2.probs"), [0.25] * 4 + [0.2684, 0.2684, 0.2684, 0.1949], atol=1e-4)
    np.testing.assert_allclose(row("dist2.logits"), [-1.3863] * 4 + [-1.3154, -1.3154, -1.3154, -1.6354], atol=1e-4)
    assert "(2, 1) int64" in out


def test_vi_reaches_analytic_posterior_and_matches_torch():
    pytest.importorskip("torch")
    out = run("vi_linear_regression.py")
    err = float(re.search(r"max \|fitted - analytic\| = (\S+)", out).group(1))
    assert err < 1e-2
    diff = float(re.search(r"max \|numdist - torch autograd\| over the trajectory = (\S+)", out).group(1))
    assert diff < 1e-8


def test_reinforce_bandit_finds_best_arm():
    out = run("reinforce_bandit.py")
    p = float(re.search(r"probability: (\S+)", out).group(1))
    assert p > 0.95
