"""The float64 normal fill follows its stream rule at every SIMD level.

csrc/normal.c draws float64 normals word by word (level 0 and 1), with the
candidates of 8 words at a time while they pass (level 2, AVX2: the loop's
vector steps) or whole blocks of the stream at once (level 3, AVX-512).  The level
is read once at load (NUMDIST_SIMD_MAX caps it), so each level runs in its own
subprocess; each one's values are compared with the rule of
csrc/include/numdist/normal.h (float64 ziggurat) re-implemented below in Python
from the committed tables and the raw words of the stream.  tests/test_simd_levels.py
compares the levels' arrays with each other; this checks them against the rule
itself, over sizes that end the 8-word groups, the 2048-word blocks and the bit
buffer at many places.
"""
import math

import numpy as np
import pytest

from conftest import run_at_simd_level
from ziggurat_rule import Words, normal_tail, table, uint_literal

LEVELS = {"scalar": 0, "avx2": 2, "avx512": 3}
CASES = [(1, 5), (2, 9), (3, 2047), (4, 4103), (5, 20011), (6, 65536)]

# draws of CASES from fresh Xoshiro256x8 generators, with the raw words of each
# stream (a draw of at most 65536 values is one chunk: its words are the stream's first)
SCRIPT = r"""
import copy, json, sys
import numpy as np
import numdist as nd
from numdist.random import Xoshiro256x8
from numdist._elementwise import normal_simd_level
cases = json.loads(sys.argv[2])
arrays = {}
for seed, n in cases:
    bg = Xoshiro256x8(4242 + seed)
    arrays[f"words_{seed}"] = copy.deepcopy(bg).random_raw(int(n * 1.1) + 256)
    arrays[f"values_{seed}"] = nd.random.standard_normal(n, rng=bg)
    out = np.full(n + 2, 7.0)
    nd.random.standard_normal(out=out[1:-1], rng=Xoshiro256x8(4242 + seed))
    arrays[f"out_{seed}"] = out
np.savez(sys.argv[1], **arrays)
print(json.dumps({"normal": normal_simd_level()}))
"""


W64 = table("nd_zig_w64", float.fromhex)
K64 = table("nd_zig_k64", uint_literal)
FD = table("nd_zig_fd", float.fromhex)


def _rule_f64(words, n):
    """normal.h's float64 ziggurat rule: the values, a mask of those that came from the
    tail (computed here with math.log: compared with a tolerance), and the words used."""
    src = Words(words)
    out = np.empty(n)
    approx = np.zeros(n, dtype=bool)
    for k in range(n):
        w = src.next()
        while True:
            j, m = w & 0x1FF, w >> 12
            i = j & 0xFF
            x = float(m) * W64[j]  # exact conversion, one IEEE rounding: the C rule's
            if m < K64[j]:
                out[k] = x
                break
            if i == 0:
                z = normal_tail(src)
                out[k], approx[k] = (-z if j >> 8 else z), True
                break
            u = src.u_co()
            y = FD[i] + u * (FD[i - 1] - FD[i])
            if -2.0 * math.log(y) > x * x:
                out[k] = x
                break
            w = src.next()
    return out, approx, src.pos


@pytest.fixture(scope="module")
def draws(tmp_path_factory):
    import json

    tmp = tmp_path_factory.mktemp("normal64")
    ran = {}
    for cap in LEVELS:
        path = tmp / f"{cap}.npz"
        ran[cap] = (run_at_simd_level(SCRIPT, cap, path, json.dumps(CASES), key="normal", timeout=600),
                    np.load(path))
    return ran


def test_the_levels_ran_as_capped(draws):
    native = max((lvl for lvl, _ in draws.values()), key=LEVELS.__getitem__)
    for cap, (level, _) in draws.items():
        assert LEVELS[level] == min(LEVELS[cap], LEVELS[native]), (cap, level)
    assert draws["scalar"][0] == "scalar"


@pytest.mark.parametrize("cap", list(LEVELS))
@pytest.mark.parametrize("seed,n", CASES)
def test_float64_values_follow_the_stream_rule_at_every_level(draws, cap, seed, n):
    level, arrays = draws[cap]
    words = arrays[f"words_{seed}"]
    want, approx, used = _rule_f64(words, n)
    assert used <= words.size
    for name in ("values", "out"):
        got = arrays[f"{name}_{seed}"]
        if name == "out":  # into the middle of a larger array: nothing written around it
            assert got[0] == 7.0 and got[-1] == 7.0
            got = got[1:-1]
        exact = ~approx
        mism = np.flatnonzero(got[exact].view(np.uint64) != want[exact].view(np.uint64))
        assert mism.size == 0, (f"level {level}, {name}: {mism.size} of {n} values differ from the rule, "
                                f"first at {np.flatnonzero(exact)[mism[:5]]}")
        np.testing.assert_allclose(got[approx], want[approx], rtol=1e-13)
    if n >= 20000:
        # rejections happened (wedge and tail words, fresh candidates moved later values):
        # about 1-3% extra words, and some tail values
        assert 0.005 < used / n - 1 < 0.05
        assert approx.any()
