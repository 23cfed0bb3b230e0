"""docs/performance.md, memory: a large draw allocates its output and nothing else
proportional to it (peak RSS of a fresh process stays near baseline + output)."""
import subprocess
import sys

import pytest

SCRIPT = r"""
import resource, sys
import numpy as np
import numdist as nd
n = 20_000_000
nd.set_num_threads(2)
warm = nd.random.standard_normal(1000) ; w2 = nd.Normal(np.zeros(10), 1.0).sample((10,))
w3 = nd.Categorical(probs=np.full(10, 0.1)).sample((10,)); w4 = nd.MultivariateNormal(np.zeros(4), np.eye(4)).sample((10,))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
case = sys.argv[1]
if case == "standard_normal":
    x = nd.random.standard_normal(n)
elif case == "normal_rsample":
    x = nd.Normal(np.zeros(1000), np.ones(1000)).rsample((n // 1000,))
elif case == "normal_f32":
    x = nd.random.normal(0.0, 2.0, size=2 * n, dtype=np.float32)
elif case == "categorical":
    x = nd.Categorical(probs=np.full(1000, 1e-3)).sample((n,))
elif case == "mvn":
    x = nd.MultivariateNormal(np.zeros(4), np.eye(4) + 0.5).sample((n // 4,))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print((peak - base) / x.nbytes)
"""


@pytest.mark.parametrize("case", ["standard_normal", "normal_rsample", "normal_f32", "categorical", "mvn"])
def test_peak_memory_is_about_the_output(case):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, case], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    ratio = float(proc.stdout.strip())
    assert ratio < 1.1, f"{case}: peak memory grew by {ratio:.2f}x the output size"
