"""Long runs of one binomial (csrc/binomial.c's windows of words, issue 12).

A constant (n, p) over a long output runs the BTRS rule a window of words at a time
(vector passes at the CPU's SIMD level, then a scan over the tries).  The numbers
must not depend on that: every SIMD level (NUMDIST_SIMD_MAX, read when the library
loads, so each level runs in a subprocess) gives the same bits, the same as
parameters given as arrays (which run the rule element by element), and the draws
follow Binomial(n, p) (chi-square against scipy.stats.binom on >= 2e5 draws).
"""
import json

import numpy as np
import pytest
from scipy import stats

import numdist as nd
from conftest import run_at_simd_level
from numdist._elementwise import simd_level

LEVELS = {"scalar": 0, "avx2": 2, "avx512": 3}

# (n, p) pairs that take the window path for long runs (the ratio table covers at
# least 4 standard deviations: n p (1 - p) up to about 260000), and two that do not.
WINDOW_CASES = [(10**6, 0.3), (10**6, 0.4), (200, 0.7), (45, 0.5), (10**5, 0.999), (4 * 10**6, 0.25)]
OTHER_CASES = [(10**7, 0.5), (10**12, 0.3), (10, 0.03)]

SCRIPT = r"""
import json, sys
import numpy as np
import numdist as nd
from numdist._elementwise import simd_level
cases = json.loads(sys.argv[2])
arrays = {}
for k, (n, p) in enumerate(cases):
    for size in (1, 9, 4097, 65537, 300001):
        arrays[f"{n}_{p}_{size}"] = nd.random.binomial(n, p, size=size, rng=1000 + k)
    out = np.zeros(2 * 70001, dtype=np.int64)
    nd.random.binomial(n, p, out=out[::-2], rng=77 + k)
    arrays[f"{n}_{p}_strided"] = out
    arrays[f"{n}_{p}_f32"] = nd.Binomial(total_count=np.float32(n), probs=np.float32(p)).sample((100003,), rng=5 + k)
np.savez(sys.argv[1], **arrays)
print(json.dumps({"level": simd_level()}))
"""


def _run_level(cap, path, cases):
    return run_at_simd_level(SCRIPT, cap, path, json.dumps(cases))


def test_every_simd_level_draws_the_same_bits(tmp_path):
    cases = WINDOW_CASES + OTHER_CASES
    native = _run_level(None, tmp_path / "native.npz", cases)
    ref = np.load(tmp_path / "native.npz")
    assert len(ref.files) == 7 * len(cases)
    for cap, level in LEVELS.items():
        got_level = _run_level(cap, tmp_path / f"{cap}.npz", cases)
        assert LEVELS[got_level] == min(level, LEVELS[native]), (cap, got_level, native)
        got = np.load(tmp_path / f"{cap}.npz")
        for name in ref.files:
            np.testing.assert_array_equal(got[name], ref[name], err_msg=f"{name} at {cap}")


@pytest.mark.parametrize("n, p", WINDOW_CASES + OTHER_CASES, ids=[f"{n}-{p}" for n, p in WINDOW_CASES + OTHER_CASES])
def test_constant_parameters_give_the_element_rule(n, p):
    """A scalar (n, p) (the window path for long runs) and the same values as arrays
    (element by element, no windows) give the same numbers, chunk boundaries included."""
    size = 3 * 65536 + 1234
    a = nd.random.binomial(n, p, size=size, rng=11)
    b = nd.random.binomial(np.full(size, n), np.full(size, p), rng=11)
    np.testing.assert_array_equal(a, b)


def _chi2_pvalue(x, n, p):
    d = stats.binom(n, p)
    mu, sd = n * p, np.sqrt(n * p * (1 - p))
    lo, hi = int(max(0, np.floor(mu - 6 * sd))), int(min(n, np.ceil(mu + 6 * sd)))
    ks = np.arange(lo, hi + 1)
    probs = d.pmf(ks)
    probs[0] += d.cdf(lo - 1)
    probs[-1] += d.sf(hi)
    counts = np.bincount(np.clip(x - lo, 0, hi - lo), minlength=hi - lo + 1).astype(float)
    # bins merged until each expects at least 20
    exp_, obs_, e, o = [], [], 0.0, 0.0
    for pk, ck in zip(probs * x.size, counts):
        e, o = e + pk, o + ck
        if e >= 20:
            exp_.append(e)
            obs_.append(o)
            e = o = 0.0
    exp_[-1] += e
    obs_[-1] += o
    exp_, obs_ = np.array(exp_), np.array(obs_)
    assert obs_.sum() == x.size and len(exp_) > 10
    return stats.chi2.sf(((obs_ - exp_) ** 2 / exp_).sum(), len(exp_) - 1)


@pytest.mark.parametrize("n, p", WINDOW_CASES, ids=[f"{n}-{p}" for n, p in WINDOW_CASES])
def test_window_path_goodness_of_fit(n, p):
    """Chi-square of 1e6 draws from one long run (the benchmark's call: out=)."""
    out = np.empty(10**6, dtype=np.int64)
    nd.random.binomial(n, p, out=out, rng=2024)
    assert _chi2_pvalue(out, n, p) > 1e-4


def test_tails_beyond_the_table_are_drawn():
    """Values more than 4.47 standard deviations out at (1e6, 0.3) (beyond the ratio
    table, where the bounds of its edge decide) appear as often as the law says."""
    n, p, size = 10**6, 0.3, 4 * 10**6
    x = nd.random.binomial(n, p, size=size, rng=99)
    sd = np.sqrt(n * p * (1 - p))
    lo, hi = n * p - 4.0 * sd, n * p + 4.0 * sd
    d = stats.binom(n, p)
    expected = size * (d.cdf(np.ceil(lo) - 1) + d.sf(np.floor(hi)))
    observed = np.count_nonzero((x < lo) | (x > hi))
    assert abs(observed - expected) < 5 * np.sqrt(expected), (observed, expected)


def test_simd_level_reported():
    assert simd_level() in LEVELS
