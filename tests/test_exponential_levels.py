"""The exponential-ziggurat kernels give the same bits at every SIMD level.

csrc/exponential.c fills with a portable C loop (level 0), AVX2 (2) or AVX-512
(3); the vector levels take whole blocks of the stream in one pass (the xoshiro
lanes stepped in registers, every word's candidate at once, the rejections
resolved afterwards in order).  The level is the best the CPU has, capped by
NUMDIST_SIMD_MAX read once at load, so each level runs in its own subprocess and
every array must be bit-identical to the scalar level's.  Independently of the
levels, standard_exponential is checked against the stream rule of
csrc/include/numdist/ziggurat.h re-implemented below in Python from the
committed tables and the raw words of the stream.
"""
import copy
import math
import os

import numpy as np
import pytest

import numdist as nd
from conftest import assert_same_bits, run_at_simd_level
from ziggurat_rule import Words, header_constant, table, uint_literal
from numdist._elementwise import simd_level
from numdist.random import Xoshiro256x8

LEVELS = {"scalar": 0, "avx2": 2, "avx512": 3}

# Sizes around a block (2048 words) and a chunk (65536 elements), so that the
# block pass starts and stops at many places; float32 (filled in pieces of 1024),
# strided and negative-stride out=, and the families that share the fill.
SCRIPT = r"""
import json, sys
import numpy as np
import numdist as nd
from numdist._elementwise import simd_level
F32 = np.float32
arrays = {}
for k, n in enumerate([1, 7, 2047, 2048, 2049, 4097, 65535, 65536, 65537, 300007]):
    arrays[f"f64_{n}"] = nd.random.standard_exponential(n, rng=k)
    arrays[f"f32_{n}"] = nd.random.standard_exponential(n, dtype=F32, rng=100 + k)
out = np.zeros((3, 70001))
nd.random.standard_exponential(out=out, rng=7)
arrays["f64_out_2d"] = out
buf = np.zeros(2 * 100001)
nd.random.standard_exponential(out=buf[::-2], rng=8)
arrays["f64_neg_stride"] = buf
loc = np.linspace(-1, 1, 1000)
scale = np.linspace(0.5, 2, 1000)
nd.manual_seed(11)
arrays["laplace"] = nd.Laplace(loc, scale).rsample((257,))
arrays["gumbel"] = nd.Gumbel(loc, scale).rsample((257,))
arrays["exponential_rate"] = nd.Exponential(scale).rsample((301,))
arrays["geometric"] = nd.Geometric(probs=np.linspace(0.01, 0.99, 1000)).sample((70,))
np.savez(sys.argv[1], **arrays)
print(json.dumps({"level": simd_level()}))
"""


def _run_level(cap, path):
    return run_at_simd_level(SCRIPT, cap, path, timeout=600)


def test_every_level_draws_the_same_bits(tmp_path):
    ref_level = _run_level("scalar", tmp_path / "scalar.npz")
    assert ref_level == "scalar"
    ref = np.load(tmp_path / "scalar.npz")
    native = _run_level(None, tmp_path / "native.npz")
    assert native in LEVELS
    ran = set()
    for cap, level in LEVELS.items():
        path = tmp_path / f"{cap}.npz"
        got_level = _run_level(cap, path)
        # the cap is honoured, and never raises the level above what the CPU has
        assert LEVELS[got_level] == min(level, LEVELS[native]), (cap, got_level, native)
        ran.add(got_level)
        assert_same_bits(ref, np.load(path), cap)
    assert {"scalar", native} <= ran


def test_this_process_level_follows_the_environment():
    want = os.environ.get("NUMDIST_SIMD_MAX")
    assert simd_level() in LEVELS
    if want in LEVELS:
        assert LEVELS[simd_level()] <= LEVELS[want]


# -- the stream rule in Python ------------------------------------------------------------------

EXP_K = table("nd_exp_k", uint_literal)
EXP_W = table("nd_exp_w", float.fromhex)
EXP_FE = table("nd_exp_fe", float.fromhex)
_WEDGE = table("nd_exp_wedge", float.fromhex)
EXP_WEDGE = [_WEDGE[4 * i:4 * i + 4] for i in range(256)]
EXP_R = header_constant("ND_EXP_R")


def _rule(words, n):
    """ziggurat.h's exponential rule: values, a mask of the values whose wedge was
    decided by the exact test (computed here with math.log instead of the
    library's nd_log_pos: equal but for a last-bit tie), and the words used."""
    src = Words(words)
    out = np.empty(n)
    approx = np.zeros(n, dtype=bool)
    for k in range(n):
        off = 0.0
        while True:
            w = src.next()
            i, m = w & 0xFF, w >> 11
            x = float(m) * EXP_W[i]
            if m < EXP_K[i]:
                break
            if i == 0:
                off += EXP_R
                continue
            u = src.u_co()
            wt = EXP_WEDGE[i]
            t = (wt[0] - x) * wt[1]
            if u < t + wt[2]:
                break
            if u > t + wt[3]:
                continue
            approx[k] = True
            y = EXP_FE[i] + u * (EXP_FE[i - 1] - EXP_FE[i])
            if -math.log(y) > x:
                break
        out[k] = off + x
    return out, approx, src.pos


def test_tables_parsed():
    assert len(EXP_K) == len(EXP_W) == len(EXP_FE) == len(EXP_WEDGE) == 256
    assert EXP_K[1] == 0 and 7 < EXP_R < 8


@pytest.mark.parametrize("n", [7, 2049, 65536])
def test_values_follow_the_stream_rule(n):
    """The level this process runs (the native one unless capped) against the rule;
    with the test above, every level does."""
    bg = Xoshiro256x8(31337 + n)
    words = copy.deepcopy(bg).random_raw(int(n * 1.2) + 64)  # one chunk: the stream's first words
    got = nd.random.standard_exponential(n, rng=bg)
    want, approx, used = _rule(words, n)
    exact = ~approx
    mism = np.flatnonzero(got[exact].view(np.uint64) != want[exact].view(np.uint64))
    assert mism.size == 0, f"{mism.size} values differ from the rule, first at {np.flatnonzero(exact)[mism[:5]]}"
    np.testing.assert_allclose(got[approx], want[approx], rtol=1e-15)
    if n == 65536:
        # about 2.2% of the candidates are rejected, each taking one or two
        # more words: 3-4% extra words
        assert 0.02 < used / n - 1 < 0.05
