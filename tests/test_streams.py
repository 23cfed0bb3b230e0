"""Stream contract of Xoshiro256x8 (docs/stream-contract.md):
known answers from the pure-Python reference, the collision analysis, the raw
stream tool, NumPy generators as keys, and state round trips (issue 10 defects 2, 3)."""
import copy
import io
import pathlib
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest

import numdist as nd
from numdist import _rng
from numdist.random import Xoshiro256x8

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import xoshiro_reference as ref  # noqa: E402

KAT = ROOT / "csrc" / "tests" / "data" / "xoshiro_kat.txt"
MASK = (1 << 64) - 1
GOLDEN = ref.GOLDEN
GINV = pow(GOLDEN, -1, 1 << 64)


def _stream(key, counter=0, buffered=0):
    bg = Xoshiro256x8(0)
    bg.state = {"bit_generator": "Xoshiro256x8", "seeding": 2,
                "state": {"key": list(key), "counter": counter}, "buffered": buffered}
    return bg


def _block(key, b):
    return _stream(key, b).random_raw(2048)


# -- known answers -------------------------------------------------------------------------------
def test_kat_file_is_the_reference_output():
    buf = io.StringIO()
    ref.write_kat(buf)
    assert buf.getvalue() == KAT.read_text(), "regenerate: python tools/xoshiro_reference.py > " + str(KAT)


def test_build_matches_kat():
    words, rows, seeds = {}, [], []
    for line in KAT.read_text().splitlines():
        f = line.split()
        if f and f[0] == "word":
            words.setdefault(tuple(int(v, 16) for v in f[1:4]), []).append((int(f[4]), int(f[5], 16)))
        elif f and f[0] == "rows":
            rows.append([int(v, 16) for v in f[1:]])
        elif f and f[0] == "seed":
            seeds.append((int(f[1]), int(f[2], 16), int(f[3], 16)))
    assert len(words) >= 40 and len(rows) >= 40 and seeds
    for (k0, k1, b), pairs in words.items():
        blk = _block((k0, k1), b)
        assert [int(blk[i]) for i, _ in pairs] == [w for _, w in pairs], (k0, k1, b)
    for k0, k1, b, *r in rows:
        assert [int(v) for v in _rng._row_seeds(k0, k1, b, 1)[0]] == r
    for seed, k0, k1 in seeds:
        assert Xoshiro256x8(seed).state["state"]["key"] == [k0, k1]


def test_reference_philox_is_numpys_philox():
    """numpy's Philox is Philox4x64-10 too (an independent implementation): its output
    for counter c is the block after counter c - 1."""
    rs = np.random.RandomState(0)
    for _ in range(20):
        ctr = [int(v) for v in rs.randint(0, 2**63, size=4, dtype=np.int64)]
        key = [int(v) for v in rs.randint(0, 2**63, size=2, dtype=np.int64)]
        pre = ctr.copy()
        pre[0] -= 1  # ctr[0] > 0 here, so no borrow
        npx = np.random.Philox(counter=pre, key=key)
        assert [int(w) for w in npx.random_raw(4)] == ref.philox4x64_10(ctr, key)


def test_block_words_are_splitmix_rows_of_philox():
    key = (0x0123456789ABCDEF, 42)
    r = [int(v) for v in _rng._row_seeds(*key, 77, 1)[0]]
    assert r == ref.philox4x64_10((77, 0, 0, 0), key)
    assert [int(w) for w in _block(key, 77)[:24]] == ref.block_words(*key, 77, 24)


# -- collisions ----------------------------------------------------------------------------------
def test_found_collision_of_the_old_seeding_is_gone():
    """Issue 9: with seeding version 1, blocks 506109124 and 1445411907 of
    Xoshiro256x8(0) had seeds 2*golden apart and shared six whole lanes."""
    key = Xoshiro256x8(0).state["state"]["key"]
    b1, b2 = 506109124, 1445411907
    s1, s2 = ref.old_block_seed(*key, b1), ref.old_block_seed(*key, b2)
    assert (s2 - s1) & MASK in (2 * GOLDEN & MASK, -2 * GOLDEN & MASK)
    o1, o2 = ref.old_lane_states(*key, b1), ref.old_lane_states(*key, b2)
    lanes1 = {tuple(o1[w][l] for w in range(4)) for l in range(8)}
    lanes2 = {tuple(o2[w][l] for w in range(4)) for l in range(8)}
    assert len(lanes1 & lanes2) == 6
    # the same two blocks now: no lane state, not even one output word, in common
    n1, n2 = ref.lane_states(*key, b1), ref.lane_states(*key, b2)
    assert not {tuple(n1[w][l] for w in range(4)) for l in range(8)} & \
        {tuple(n2[w][l] for w in range(4)) for l in range(8)}
    assert len(np.intersect1d(_block(key, b1), _block(key, b2))) == 0


def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _near_pairs(t, window):
    """Indices (i, j) of sorted-neighbour pairs with 0 < t[j] - t[i] <= window."""
    order = np.argsort(t, kind="stable")
    d = np.diff(t[order])
    hit = np.nonzero(d <= np.uint64(window))[0]
    return order[hit], order[hit + 1], d[hit]


def test_near_collision_search():
    """Search 2**22 blocks of one key for blocks whose SplitMix64 starts are a multiple
    j of the increment apart (t = start * golden^-1 mod 2^64, so j = t' - t).

    A shared lane needs |j| <= 7 (31 for version 1) *in every row at once*. To make the
    birthday structure visible with only 2**22 blocks the window is widened to
    |j| <= 2**23 (as if a block reached 2**23 steps along the SplitMix line): the
    version-1 model (one start per block) then finds about
    N^2/2 * 2 * 2^23 / 2^64 = 8 such pairs (5 here), as expected; version 2's rows taken one at a
    time find as many (they are 64-bit values too), but never all four rows of two
    blocks j apart: that would be a 256-bit coincidence (the Philox counter is a
    bijection, so identical row vectors cannot occur at all)."""
    n, window = 1 << 22, 1 << 23
    key = Xoshiro256x8(0).state["state"]["key"]
    expected = n * n * window / 2.0**64  # pairs with |j| <= window: N^2/2 * 2 window / 2^64 = 8
    ginv = np.uint64(GINV)
    with np.errstate(over="ignore"):
        blocks = np.arange(n, dtype=np.uint64)
        old = np.uint64(key[0]) ^ _mix64(np.uint64(key[1]) + _mix64(blocks + np.uint64(GOLDEN)))
        t_old = old * ginv
        i, j, _ = _near_pairs(t_old, window)
        assert 1 <= len(i) <= 4 * expected + 4, (len(i), expected)
        # exact check of the model against the reference for one block
        assert int(old[12345]) == ref.old_block_seed(*key, 12345)

        rows = _rng._row_seeds(key[0], key[1], 0, n)
        t = rows * ginv
        i, j, d0 = _near_pairs(t[:, 0].copy(), window)
        assert 1 <= len(i) <= 4 * expected + 4, (len(i), expected)  # one row alone: birthday as usual
        aligned = np.all((t[j, 1:] - t[i, 1:]) == d0[:, None], axis=1)
        assert not aligned.any()
    # and no two blocks have the same row seeds at all
    assert len(np.unique(rows, axis=0)) == n


# -- the raw stream tool -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def rawstream(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    exe = tmp_path_factory.mktemp("rawstream") / "rawstream"
    subprocess.run([cc, "-O2", "-std=c99", "-Wall", "-Werror", "-I", str(ROOT / "csrc" / "include"),
                    str(ROOT / "csrc" / "tools" / "rawstream.c"), str(ROOT / "csrc" / "xoshiro256.c"),
                    str(ROOT / "csrc" / "bits.c"), "-o", str(exe)], check=True)
    return exe


def _run(exe, *args, nbytes=32768):
    out = subprocess.run([str(exe), "-n", str(nbytes), *map(str, args)], check=True, capture_output=True).stdout
    assert len(out) == nbytes
    return np.frombuffer(out, dtype=np.uint64)


def test_rawstream_single(rawstream):
    key = Xoshiro256x8(5).state["state"]["key"]
    w = _run(rawstream, "single", hex(key[0]), hex(key[1]))
    np.testing.assert_array_equal(w, _stream(key).random_raw(len(w)))


def test_rawstream_interleaved_layouts(rawstream, tmp_path):
    keys = tmp_path / "keys.txt"
    with open(keys, "w") as fp:
        ref.write_keys(fp, 5)
    w = _run(rawstream, "keys", keys, nbytes=8 * 5 * 1000).reshape(-1, 5)
    for s in range(5):
        np.testing.assert_array_equal(w[:, s], Xoshiro256x8(s).random_raw(len(w)))
    w = _run(rawstream, "chunks", "1", "2", 3, nbytes=8 * 3 * 3000).reshape(-1, 3)
    for c in range(3):
        np.testing.assert_array_equal(w[:, c], _stream((1, 2), c << 20).random_raw(len(w)))
    w = _run(rawstream, "lowkeys", 4, nbytes=8 * 4 * 3000).reshape(-1, 4)
    for k in range(4):
        np.testing.assert_array_equal(w[:, k], _stream((k, 0)).random_raw(len(w)))


# -- NumPy generators as keys --------------------------------------------------------------------
def test_numpy_generator_keys_a_stream_that_scales_over_threads():
    """With rng= a NumPy Generator the draw runs from numdist's own streams, so it is
    multi-threaded and does not depend on the thread count."""
    n = 3 * 65536 + 17
    saved = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        a = nd.random.standard_normal(n, rng=np.random.default_rng(0))
        nd.set_num_threads(4)
        b = nd.random.standard_normal(n, rng=np.random.default_rng(0))
    finally:
        nd.set_num_threads(saved)
    np.testing.assert_array_equal(a, b)
    key = np.random.default_rng(0).integers(0, 2**64, size=2, dtype=np.uint64)
    np.testing.assert_array_equal(a, nd.random.standard_normal(n, rng=_stream([int(k) for k in key])))


def test_numdist_generator_wrapped_in_numpy_generator_uses_its_own_counter():
    bg = Xoshiro256x8(3)
    x = nd.random.standard_normal(10, rng=np.random.Generator(bg))
    assert bg.state["state"]["counter"] == 1 << 20  # one chunk reserved, nothing taken as a key
    np.testing.assert_array_equal(x, nd.random.standard_normal(10, rng=Xoshiro256x8(3)))


# -- state round trips (issue 10) ----------------------------------------------------------------
def _continuation(bg):
    g = np.random.Generator(bg)
    return np.concatenate([g.random(3), nd.random.standard_normal(5, rng=g), g.random(2500),
                           nd.random.standard_normal(70000, rng=bg)[-3:], g.random(2)])


@pytest.mark.parametrize("pattern", ["s", "b", "sb", "bs", "sbs", "ssbb", "bsb", "sbsbs", "S", "Sb", "bS", "SbS"])
def test_state_pickle_deepcopy_continue_after_mixed_draws(pattern):
    """Issue 10 defect 2: a block draw used to advance the counter but keep the partly
    used scalar buffer, so a restored generator continued differently."""
    bg = Xoshiro256x8(0)
    g = np.random.Generator(bg)
    for c in pattern:
        if c == "s":
            g.random()
        elif c == "S":
            g.random(3000)  # across a block boundary
        else:
            nd.random.standard_normal(1, rng=g)
    state = bg.state
    copies = [pickle.loads(pickle.dumps(bg)), copy.deepcopy(bg), Xoshiro256x8(1)]
    copies[2].state = state
    want = _continuation(bg)
    for c in copies:
        np.testing.assert_array_equal(_continuation(c), want)


def test_uninitialised_generator_raises():
    """Issue 10 defect 3: the state of an object made by __new__ alone was a NULL read."""
    bg = Xoshiro256x8.__new__(Xoshiro256x8)
    with pytest.raises(RuntimeError, match="not initialised"):
        bg.state
    with pytest.raises(RuntimeError, match="not initialised"):
        bg.state = Xoshiro256x8(0).state
    with pytest.raises(RuntimeError, match="not initialised"):
        pickle.dumps(bg)
    with pytest.raises(RuntimeError, match="not initialised"):
        nd.random.standard_normal(3, rng=bg)


@pytest.mark.parametrize("version", [None, 1, 3])
def test_state_of_another_seeding_version_is_refused(version):
    st = Xoshiro256x8(0).state
    if version is None:
        del st["seeding"]  # as numdist 0.1 wrote it
    else:
        st["seeding"] = version
    with pytest.raises(ValueError, match="seeding version"):
        Xoshiro256x8(1).state = st
