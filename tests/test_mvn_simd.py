"""The d = 4 float64 packed passes of csrc/mvn.c (issue 14: MVN construct + one draw):
the AVX-512 / AVX2 Cholesky into packed factors and the draw whose normals are filled
straight into the output by whole chunks, then ``loc + L e`` in place. They must give
the numbers of the code before them (``_mvn._set_level_cap(-1)`` runs it in the same
build), at every SIMD level, for every layout, and keep the stream's words.

Bits are compared exactly (as unsigned integers, so -0.0 and NaN payloads count).
"""
import contextlib
import hashlib

import numpy as np
import pytest

import numdist as nd
from numdist import _mvn

from conftest import run_at_simd_level

LEVELS = (0, 2, 3)  # capped at what the CPU has; -1 is the previous code
SIZES = (1, 16383, 16384, 16385, 100001)  # 16384 vectors of 4 = one 65,536-normal chunk


@contextlib.contextmanager
def _swapped(setter, value):
    """``setter(value)`` for the block (the setter returns the previous value)."""
    old = setter(value)
    try:
        yield
    finally:
        setter(old)


def level_cap(cap):
    return _swapped(_mvn._set_level_cap, cap)


def spd(n, d=4, seed=0, dtype=np.float64):
    """n covariances B B^T / d + I/2 by elementwise operations in a fixed order (no BLAS,
    so the same bits on any machine)."""
    r = np.random.default_rng(seed)
    b = r.normal(size=(n, d, d))
    a = np.zeros((n, d, d))
    for k in range(d):
        a = a + b[:, :, k, None] * b[:, None, :, k]
    return (a / d + 0.5 * np.eye(d)).astype(dtype)


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


def assert_same_bits(a, b, msg=""):
    assert a.shape == b.shape and a.dtype == b.dtype, msg
    np.testing.assert_array_equal(bits(a), bits(b), err_msg=msg)


def draw(cap, loc, cov, sample_shape=(), rng=0, validate_args=False):
    with level_cap(cap):
        return nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=validate_args).rsample(
            sample_shape, rng=rng)


def test_this_machine_runs_a_vector_level():
    # the comparisons below are only meaningful if the vector passes run here
    assert _mvn.simd_level() in (0, 2, 3)
    with level_cap(2):
        assert _mvn.simd_level() in (0, 2)
    with level_cap(-1):
        assert _mvn.simd_level() == -1


@pytest.mark.parametrize("B", SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sample_shape", [(), (3,)])
def test_draws_equal_the_previous_code(B, dtype, sample_shape):
    cov = spd(B, seed=B, dtype=dtype)
    loc = np.random.default_rng(B + 1).normal(size=(B, 4)).astype(dtype)
    ref = draw(-1, loc, cov, sample_shape, rng=B)
    assert ref.shape == tuple(sample_shape) + (B, 4) and ref.dtype == dtype
    for cap in LEVELS:
        assert_same_bits(draw(cap, loc, cov, sample_shape, rng=B), ref)
    # validation on: the same numbers
    assert_same_bits(draw(3, loc, cov, sample_shape, rng=B, validate_args=True), ref)


@pytest.mark.parametrize("B", [16385, 100001])
def test_layouts_equal_the_previous_code(B):
    cov = spd(B, seed=7)
    loc = np.random.default_rng(8).normal(size=(B, 4))
    cov_f = np.asfortranarray(cov.transpose(1, 2, 0)).transpose(2, 0, 1)  # matrices not C-contiguous
    cov_ro = cov.copy()
    cov_ro.setflags(write=False)
    cases = {
        "loc (4,)": (loc[0], cov),
        "loc (1, 4)": (loc[:1], cov),
        "read-only cov": (loc, cov_ro),
        "non-contiguous cov": (loc, cov_f),
        "strided cov": (loc, np.repeat(cov, 2, axis=0)[::2]),
        "negative strides": (loc[::-1], cov[::-1]),
        "strided loc": (np.repeat(loc, 2, axis=0)[::2], cov),
        "loc (2, B, 4)": (np.stack([loc, -loc]), cov),
    }
    for name, (lc, cv) in cases.items():
        ref = draw(-1, lc, cv, (2,), rng=3)
        for cap in LEVELS:
            assert_same_bits(draw(cap, lc, cv, (2,), rng=3), ref, f"{name}, level cap {cap}")


def test_factor_rsample_vjp_log_prob_and_functional_equal_the_previous_code():
    B = 20001
    cov = spd(B, seed=11)
    loc = np.random.default_rng(12).normal(size=(B, 4))
    res = {}
    for cap in (-1,) + LEVELS:
        with level_cap(cap):
            m = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
            x, vjp = m.rsample_vjp((2,), rng=5)
            g = vjp(np.cos(x))
            out = np.zeros((B, 8))[:, ::2]  # a strided out=
            nd.random.multivariate_normal(loc, cov, out=out, rng=6)
            res[cap] = (m._tril_packed, x, g["loc"], g["covariance_matrix"], m.log_prob(x), out,
                        m.rsample(rng=np.random.default_rng(9)),
                        nd.random.multivariate_normal(loc, cov, size=(3, B), rng=7))
    for cap in LEVELS:
        for a, b in zip(res[cap], res[-1]):
            assert_same_bits(a, b)


def fused_draw(on):
    return _swapped(_mvn._set_fused_draw, on)


@pytest.mark.parametrize("B", [1, 2, 3, 49, 16384, 65537])
@pytest.mark.parametrize("sample_shape", [(), (2,)])
def test_fused_draw_equals_the_two_pass_draw(B, sample_shape):
    # rsample's d = 4 float64 draw takes each vector's normals in the loop that applies
    # them (csrc/mvn.c, pk4_fused_256); the normals drawn first and applied after must
    # give the same numbers, and leave the stream at the same place (the draw after)
    cov = spd(B, seed=B + 3)
    loc = np.random.default_rng(B + 4).normal(size=(B, 4))
    for cap in (2, 3):
        for lc in (loc, loc[0], loc[:1]):
            for kind in ("int", "numpy", "xoshiro", "global"):
                res = {}
                for on in (False, True):
                    with fused_draw(on), level_cap(cap):
                        m = nd.MultivariateNormal(lc, covariance_matrix=cov, validate_args=False)
                        if kind == "int":
                            res[on] = (m.rsample(sample_shape, rng=B),)
                        elif kind == "numpy":
                            res[on] = (m.rsample(sample_shape, rng=np.random.default_rng(B)),)
                        elif kind == "xoshiro":  # one stream on: the second draw starts where the first ended
                            g = np.random.Generator(nd.random.Xoshiro256x8(B))
                            res[on] = (m.rsample(sample_shape, rng=g), m.rsample(rng=g), g.standard_normal(3))
                        else:
                            nd.manual_seed(B)
                            res[on] = (m.rsample(sample_shape), m.rsample(), nd.random.standard_normal(3))
                for a, b in zip(res[True], res[False]):
                    assert_same_bits(a, b, f"B={B}, level cap {cap}, loc {lc.shape}, rng {kind}")
    with fused_draw(True):
        assert _mvn._set_fused_draw(True) is True  # the setter reports the previous state


def test_draws_have_the_right_distribution():
    # the numbers are the previous code's (above); this checks that they are right at all:
    # Mahalanobis distances of 2e5 draws from 2e5 different covariances are chi-square(4)
    from scipy import stats

    B = 200000
    cov = spd(B, seed=21)
    loc = np.random.default_rng(22).normal(size=(B, 4))
    m = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
    x = m.rsample(rng=23)
    L = np.linalg.cholesky(cov)
    y = np.linalg.solve(L, (x - loc)[..., None])[..., 0]
    assert stats.kstest((y * y).sum(-1), stats.chi2(4).cdf).pvalue > 1e-3
    assert stats.kstest(y.ravel(), "norm").pvalue > 1e-3


@pytest.mark.parametrize("cap", (-1,) + LEVELS)
@pytest.mark.parametrize("where", [0, 5, 8, 15, 16, 16383, 16384, 50000, 99999])
@pytest.mark.parametrize("col", [0, 2, 3])
def test_non_pd_covariance_still_raises_at_construction(cap, where, col):
    B = 100000
    cov = spd(B, seed=3)
    cov[where, col, col] = -1.0 if col != 2 else np.nan
    with level_cap(cap), pytest.raises(ValueError) as exc:
        nd.MultivariateNormal(np.zeros(4), covariance_matrix=cov, validate_args=False)
    msg = str(exc.value)
    assert "covariance_matrix" in msg and f"batch index ({where},)" in msg
    assert (f"entry ({col}, {col})" if col == 2 else f"Cholesky failed at column {col}") in msg


def test_thread_count_does_not_change_the_numbers():
    B = 100001
    cov = spd(B, seed=31)
    loc = np.random.default_rng(32).normal(size=(B, 4))
    saved = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        one = draw(3, loc, cov, (2,), rng=4)
        nd.set_num_threads(2)
        two = draw(3, loc, cov, (2,), rng=4)
    finally:
        nd.set_num_threads(saved)
    assert_same_bits(one, two)
    assert_same_bits(one, draw(-1, loc, cov, (2,), rng=4))


_LEVEL_SCRIPT = """
import hashlib, json, sys
import numpy as np, numdist as nd
from numdist import _mvn
sys.path.insert(0, sys.argv[1])
from test_mvn_simd import spd
B = 40001
cov = spd(B, seed=41); loc = np.random.default_rng(42).normal(size=(B, 4))
m = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
x = m.rsample((2,), rng=43)
h = hashlib.sha256(m._tril_packed.tobytes() + x.tobytes()).hexdigest()
print(json.dumps({"level": [_mvn.simd_level(), h]}))
"""


def test_numdist_simd_max_caps_the_level_with_the_same_numbers():
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    native = run_at_simd_level(_LEVEL_SCRIPT, None, here)
    avx2 = run_at_simd_level(_LEVEL_SCRIPT, "avx2", here)
    scalar = run_at_simd_level(_LEVEL_SCRIPT, "scalar", here)
    assert avx2[0] <= 2 and scalar[0] == 0
    assert native[1] == avx2[1] == scalar[1]
    # and the previous code, in this process
    B = 40001
    cov = spd(B, seed=41)
    loc = np.random.default_rng(42).normal(size=(B, 4))
    with level_cap(-1):
        m = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
        x = m.rsample((2,), rng=43)
    assert hashlib.sha256(m._tril_packed.tobytes() + x.tobytes()).hexdigest() == native[1]
