"""Every SIMD level of the normal kernels gives the same bits (issue 14 item 3), and so do
the Gamma implicit-gradient lane loops, which follow the same cap.

The float32 ziggurat has a portable C loop (level 0), an SSE2 pass (1), an AVX2
pass with gathers (2) and an AVX-512 VBMI pass (3); csrc/normal.c picks the best
the CPU has, capped by the environment variable NUMDIST_SIMD_MAX, which is read
once when the library loads.  So each level runs in its own subprocess here, and
every array it draws must be bit-identical to the uncapped run's.  Independently
of any level, the float32 values are checked against the stream rule of
csrc/include/numdist/normal.h re-implemented below in Python from the committed
tables and the raw words of the stream.
"""
import copy
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import numdist as nd
from conftest import assert_same_bits, run_at_simd_level
from ziggurat_rule import Words, normal_tail, table, uint_literal
from numdist._elementwise import normal_simd_level
from numdist.random import Xoshiro256x8

LEVELS = {"scalar": 0, "sse2": 1, "avx2": 2, "avx512": 3}

# Draws made at each level: float32 (the vectorised path) over many sizes, so that
# windows end at many places of the bit buffer and chunks; float32 with loc/scale
# and strided / negative-stride out; float64 and Box-Muller for completeness.
SCRIPT = r"""
import json, sys
import numpy as np
import numdist as nd
from numdist._elementwise import normal_simd_level
F32 = np.float32
arrays = {}
for k, n in enumerate([1, 2, 3, 5, 8, 255, 256, 257, 1023, 4097, 65535, 65536, 65537, 200003]):
    arrays[f"f32_{n}"] = nd.random.standard_normal(n, dtype=F32, rng=k)
arrays["f32_2d"] = nd.random.standard_normal((3, 70001), dtype=F32, rng=99)
buf = np.zeros(2 * 100001, dtype=F32)
nd.random.standard_normal(out=buf[::-2], dtype=F32, rng=7)
arrays["f32_neg_stride"] = buf
loc = np.linspace(-1, 1, 1000).astype(F32)
scale = np.linspace(0.5, 2, 1000).astype(F32)
arrays["f32_loc_scale"] = nd.random.normal(loc, scale, size=(301, 1000), rng=3)
nd.manual_seed(11)
arrays["f32_rsample"] = nd.Normal(loc, scale).rsample((257,))
arrays["f64_100003"] = nd.random.standard_normal(100003, rng=4)
# float64 over the same sizes (windows ending at many places of the bit buffer and
# chunks), each followed by a draw from the same generator, so that a level which
# used a different number of words would show in the "_next" array
from numdist.random import Xoshiro256x8
for k, n in enumerate([1, 2, 3, 5, 8, 255, 256, 257, 1023, 2047, 2048, 2049, 4095, 4096, 4097,
                       6143, 8193, 65535, 65536, 65537, 200003]):
    g = Xoshiro256x8(100 + k)
    arrays[f"f64_{n}"] = nd.random.standard_normal(n, rng=g)
    arrays[f"f64_{n}_next"] = nd.random.standard_normal(3, rng=g)
# a fill that starts part-way into the bit buffer, then a long one
g = Xoshiro256x8(150)
arrays["f64_after_3"] = np.concatenate([nd.random.standard_normal(m, rng=g) for m in (3, 30011, 5, 9000)])
arrays["f64_2d"] = nd.random.standard_normal((3, 70001), rng=98)
buf64 = np.zeros(2 * 100001)
nd.random.standard_normal(out=buf64[::-2], rng=8)
arrays["f64_neg_stride"] = buf64
buf64 = np.zeros((2, 30001))
nd.random.standard_normal(out=buf64[:, ::3], rng=9)
arrays["f64_strided_2d"] = buf64
# whole chunks into an output off its 64-byte line (the streamed whole-block pass at
# AVX-512): the same values, nothing written around them
buf64 = np.zeros(200003)
nd.random.standard_normal(out=buf64[3:3 + 131075], rng=21)
arrays["f64_off_line"] = buf64
loc64 = np.linspace(-1, 1, 1000)
scale64 = np.linspace(0.5, 2, 1000)
arrays["f64_loc_scale"] = nd.random.normal(loc64, scale64, size=(301, 1000), rng=13)
nd.manual_seed(17)
arrays["f64_rsample"] = nd.Normal(loc64, scale64).rsample((257,))
arrays["f64_rsample_next"] = nd.Normal(0.0, 1.0).sample((5,))
arrays["f32_box_muller"] = nd.random.standard_normal(10001, dtype=F32, rng=5, method="box_muller")
# the Gamma implicit-gradient lane loops (csrc/special_gamma.c) follow the same cap:
# concentrations over every region (tiny, series, continued fraction, Temme, scalar)
from numdist import _special
A = np.repeat(np.geomspace(1e-3, 3e4, 97), 41)
Z = nd.random.standard_gamma(A, rng=12)
arrays["gamma_dzda"] = _special.gamma_sample_grad(A, Z)
# the Beta and Student t ones (csrc/special_beta.c), pairs from tiny to large
BA = np.repeat(np.geomspace(1e-3, 1e3, 23), 23)
BB = np.tile(np.geomspace(1e-3, 1e3, 23), 23)
BX = nd.random.beta(BA, BB, rng=14)
arrays["beta_dxda"], arrays["beta_dxdb"] = _special.beta_sample_grad(BA, BB, BX)
arrays["t_dtddf"] = _special.student_t_sample_grad_df(BA, nd.random.standard_t(BA, rng=15))
# the generator's own words: the lane loop (csrc/xoshiro256.c) follows the cap too
arrays["raw_words"] = Xoshiro256x8(77).random_raw(3 * 2048 + 5)
np.savez(sys.argv[1], **arrays)
print(json.dumps({"normal": normal_simd_level()}))
"""


def _run_level(cap, path):
    return run_at_simd_level(SCRIPT, cap, path, key="normal", timeout=600)


def test_every_level_draws_the_same_bits(tmp_path):
    native = _run_level(None, tmp_path / "native.npz")
    assert native in LEVELS
    ref = np.load(tmp_path / "native.npz")
    ran = []
    for cap, level in LEVELS.items():
        got_level = _run_level(cap, tmp_path / f"{cap}.npz")
        # the cap is honoured, and never raises the level above what the CPU has
        assert LEVELS[got_level] == min(level, LEVELS[native]), (cap, got_level, native)
        ran.append(got_level)
        assert_same_bits(ref, np.load(tmp_path / f"{cap}.npz"), cap)
    # the scalar reference and the native level always ran (on x86-64 also SSE2)
    assert "scalar" in ran and native in ran


def test_unknown_cap_means_no_cap(tmp_path):
    native = _run_level(None, tmp_path / "a.npz")
    assert _run_level("no-such-level", tmp_path / "b.npz") == native


def test_this_process_level_follows_the_environment():
    want = os.environ.get("NUMDIST_SIMD_MAX")
    level = normal_simd_level()
    assert level in LEVELS
    if want in LEVELS:
        assert LEVELS[level] <= LEVELS[want]


def test_bench_header_reports_the_normal_level():
    env = dict(os.environ, NUMDIST_SIMD_MAX="scalar")
    proc = subprocess.run([sys.executable, "-m", "numdist", "bench", "--only", "normal", "--scale", "0.0001",
                           "--repeat", "1"], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout.splitlines()[0]
    assert "normal kernels scalar" in header, header


# -- the stream rule in Python ------------------------------------------------------------------

W32 = np.array(table("nd_zig_w32", lambda t: float.fromhex(t.rstrip("f"))), dtype=np.float32)
K32 = table("nd_zig_k32", uint_literal)
FD = table("nd_zig_fd", float.fromhex)


def _rule_f32(words, n):
    """normal.h's float32 ziggurat rule: values, a mask of the values that came from
    the tail (computed here with math.log, so compared with a tolerance), and the
    number of words used."""
    src = Words(words)
    out = np.empty(n, dtype=np.float32)
    approx = np.zeros(n, dtype=bool)

    def candidate(h):
        # returns (value, from_tail)
        while True:
            j, m = h & 0x1FF, h >> 9
            i = j & 0xFF
            x = np.float32(m) * W32[j]
            if m < K32[j]:
                return x, False
            if i == 0:
                z = normal_tail(src)
                return np.float32(-z if j >> 8 else z), True
            u = src.u_co()
            y = FD[i] + u * (FD[i - 1] - FD[i])
            ax = abs(float(x))
            if -2.0 * math.log(y) > ax * ax:
                return x, False
            h = src.next() & 0xFFFFFFFF

    k = 0
    while k < n:
        w = src.next()
        out[k], approx[k] = candidate(w & 0xFFFFFFFF)
        k += 1
        if k < n:
            out[k], approx[k] = candidate(w >> 32)
            k += 1
    return out, approx, src.pos


@pytest.mark.parametrize("n", [7, 1000, 65536])
def test_float32_values_follow_the_stream_rule(n):
    """The level this process runs (the native one unless capped) against the rule;
    with the test above, every level does."""
    bg = Xoshiro256x8(20260 + n)
    words = copy.deepcopy(bg).random_raw(n + 64)  # one chunk: its words are the stream's first
    got = nd.random.standard_normal(n, dtype=np.float32, rng=bg)
    want, approx, used = _rule_f32(words, n)
    exact = ~approx
    mism = np.flatnonzero(got[exact].view(np.uint32) != want[exact].view(np.uint32))
    assert mism.size == 0, f"{mism.size} values differ from the rule, first at {np.flatnonzero(exact)[mism[:5]]}"
    np.testing.assert_allclose(got[approx], want[approx], rtol=1e-6)
    if n == 65536:
        # rejections (wedge and tail words, fresh candidates) moved later values:
        # about 4% extra words
        assert 0.02 < used / (n // 2) - 1 < 0.08
