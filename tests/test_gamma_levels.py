"""standard_gamma / chisquare / Gamma draw the same bits at every SIMD level, from
any output alignment, on any thread count (issue 11, third pass).

The bulk rule's kernels (csrc/gamma.c) have AVX-512, AVX2 and plain-C passes, and
calls of >= 65536 contiguous float64 values write whole 64-byte lines with
non-temporal stores from a staging buffer (the ends of the output with plain
stores).  None of that may change a number or the words used: each level runs in
its own subprocess (NUMDIST_SIMD_MAX is read once at load) and every array must
be bit-identical to the uncapped run's; every draw is followed by a second draw
from the same generator, so a level that used a different number of words shows
there.  In the process itself: outputs shifted by 1..7 doubles from a 64-byte
line give the values of the aligned draw, and the thread count changes nothing.
csrc/tests/test_gamma.c checks the values against a word-by-word reference."""
import numpy as np
import pytest

import numdist as nd
from conftest import assert_same_bits, run_at_simd_level
from numdist.random import Xoshiro256x8

LEVELS = {"scalar": 0, "avx2": 2, "avx512": 3}

SCRIPT = r"""
import json, sys
import numpy as np
import numdist as nd
from numdist._elementwise import simd_level
from numdist.random import Xoshiro256x8
arrays = {}
k = 0
for a in (2.5, 0.3, 40.0, 1.0, 1e-3):
    for n in (65535, 65536, 65537, 200003):
        g = Xoshiro256x8(1000 + k)
        arrays[f"g_{a}_{n}"] = nd.random.standard_gamma(a, n, rng=g)
        arrays[f"g_{a}_{n}_next"] = nd.random.standard_gamma(a, 5, rng=g)
        k += 1
for a in (2.5, 0.3):
    g = Xoshiro256x8(2000 + k)
    arrays[f"f32_{a}"] = nd.random.standard_gamma(a, 140001, dtype=np.float32, rng=g)
    arrays[f"f32_{a}_next"] = nd.random.standard_gamma(a, 5, rng=g)
    buf = np.zeros(2 * 100001)
    g = Xoshiro256x8(3000 + k)
    nd.random.standard_gamma(a, out=buf[::-2], rng=g)
    arrays[f"neg_stride_{a}"] = buf
    arrays[f"neg_stride_{a}_next"] = nd.random.standard_gamma(a, 5, rng=g)
    buf = np.zeros(131072 + 8)
    g = Xoshiro256x8(4000 + k)
    nd.random.standard_gamma(a, out=buf[3:131075], rng=g)
    arrays[f"offset_{a}"] = buf
    arrays[f"offset_{a}_next"] = nd.random.standard_gamma(a, 5, rng=g)
    k += 1
g = Xoshiro256x8(5000)
arrays["chisquare_5"] = nd.random.chisquare(5.0, 100003, rng=g)
arrays["chisquare_0.6"] = nd.random.chisquare(0.6, 100003, rng=g)
arrays["varying"] = nd.random.standard_gamma(np.linspace(0.05, 6.0, 150001), rng=g)
arrays["varying_next"] = nd.random.standard_gamma(2.5, 5, rng=g)
nd.manual_seed(21)
arrays["Gamma_sample"] = nd.Gamma(np.array([0.3, 2.5, 7.0]), 1.0).sample((70001,))
arrays["Beta_sample"] = nd.Beta(np.array([0.5, 2.0]), np.array([3.0, 0.7])).sample((50001,))
arrays["Dirichlet_sample"] = nd.Dirichlet(np.full(10, 0.5)).sample((20001,))
np.savez(sys.argv[1], **arrays)
print(json.dumps({"level": simd_level()}))
"""


def test_every_level_draws_the_same_bits(tmp_path):
    native = run_at_simd_level(SCRIPT, None, tmp_path / "native.npz", timeout=600)
    assert native in LEVELS
    ref = np.load(tmp_path / "native.npz")
    ran = {native}
    for cap, level in LEVELS.items():
        got_level = run_at_simd_level(SCRIPT, cap, tmp_path / f"{cap}.npz", timeout=600)
        # the cap is honoured, never above what the CPU has
        assert LEVELS[got_level] == min(level, LEVELS[native]), (cap, got_level, native)
        ran.add(got_level)
        assert_same_bits(ref, np.load(tmp_path / f"{cap}.npz"), cap)
    assert "scalar" in ran  # the plain-C level always ran


@pytest.mark.parametrize("a", [2.5, 0.3, 1.0])
def test_output_alignment_changes_nothing(a):
    n = 65536 + 1000  # one call of a whole chunk (non-temporal stores) and a short one
    want = nd.random.standard_gamma(a, n, rng=Xoshiro256x8(77))
    for off in range(8):
        buf = np.full(n + 16, -7.0)
        start = (-buf.ctypes.data % 64) // 8 + off  # off doubles past a 64-byte line
        out = buf[start:start + n]
        res = nd.random.standard_gamma(a, out=out, rng=Xoshiro256x8(77))
        assert res is out
        np.testing.assert_array_equal(out, want)
        # nothing written outside the view
        assert (buf[:start] == -7.0).all() and (buf[start + n:] == -7.0).all()


@pytest.mark.parametrize("a", [2.5, 0.3])
def test_thread_count_changes_nothing(a):
    old = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        x = nd.random.standard_gamma(a, (3, 200003), rng=Xoshiro256x8(5))
        nd.set_num_threads(2)
        y = nd.random.standard_gamma(a, (3, 200003), rng=Xoshiro256x8(5))
    finally:
        nd.set_num_threads(old)
    np.testing.assert_array_equal(x, y)
    assert np.isfinite(x).all() and (x > 0).all()
