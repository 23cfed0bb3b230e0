"""The random source (docs/stream-contract.md): rng= resolution, seeding, NumPy generators."""
import pathlib
import pickle
import sys

import numpy as np
import pytest

import numdist as nd
from numdist.random import Xoshiro256x8

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
import xoshiro_reference as ref  # noqa: E402  (pure-Python model of the generator)


def reference_block(key0, key1, block, nwords):
    """Pure-Python Xoshiro256x8 block (tools/xoshiro_reference.py)."""
    return ref.block_words(key0, key1, block, nwords)


def _same(a, b):
    """Equality of bit generator state dicts (which may hold arrays)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(np.array_equal(a, b))


def _set(bg, key, counter=0, buffered=0):
    bg.state = {"bit_generator": "Xoshiro256x8", "seeding": 2,
                "state": {"key": list(key), "counter": counter}, "buffered": buffered}


def test_xoshiro_matches_reference_algorithm():
    g = Xoshiro256x8(2024)
    key = g.state["state"]["key"]
    words = np.random.Generator(g).integers(0, 2**64, size=40, dtype=np.uint64, endpoint=False)
    # numpy's integers(0, 2**64) with uint64 returns raw next_uint64 words.
    assert [int(w) for w in words] == reference_block(key[0], key[1], 0, 40)


def test_xoshiro_second_block_is_block_one():
    g = Xoshiro256x8(7)
    key = g.state["state"]["key"]
    raw = np.random.Generator(g).integers(0, 2**64, size=2048 + 5, dtype=np.uint64)
    assert [int(w) for w in raw[2048:]] == reference_block(key[0], key[1], 1, 5)


def test_nearby_keys_give_unrelated_blocks():
    a, b = Xoshiro256x8(0), Xoshiro256x8(0)
    _set(a, [5, 2])
    _set(b, [5, 3])
    wa = np.random.Generator(a).integers(0, 2**64, size=3 * 2048, dtype=np.uint64).reshape(3, 2048)
    wb = np.random.Generator(b).integers(0, 2**64, size=3 * 2048, dtype=np.uint64).reshape(3, 2048)
    for i in range(3):
        for j in range(3):
            assert len(np.intersect1d(wa[i], wb[j])) == 0


def test_same_seed_same_numbers():
    a = nd.random.standard_normal(1000, rng=123)
    b = nd.random.standard_normal(1000, rng=123)
    c = nd.random.standard_normal(1000, rng=124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_manual_seed_controls_global_stream():
    nd.manual_seed(5)
    a = nd.Normal(0.0, 1.0).sample((50,))
    b = nd.random.standard_normal(10)
    nd.manual_seed(5)
    np.testing.assert_array_equal(a, nd.Normal(0.0, 1.0).sample((50,)))
    np.testing.assert_array_equal(b, nd.random.standard_normal(10))
    with pytest.raises(TypeError, match="manual_seed"):
        nd.manual_seed("5")


def test_seed_sequence_accepted():
    ss = np.random.SeedSequence(99)
    np.testing.assert_array_equal(nd.random.standard_normal(20, rng=ss),
                                  nd.random.standard_normal(20, rng=np.random.SeedSequence(99)))


@pytest.mark.parametrize("make", [np.random.PCG64, np.random.Philox, np.random.MT19937, np.random.SFC64])
def test_numpy_generator_is_used_and_advanced(make):
    g1, g2 = np.random.Generator(make(3)), np.random.Generator(make(3))
    a = nd.random.standard_normal(100, rng=g1)
    # The stream moved: the next numpy draw differs from a fresh generator's first draw...
    assert g1.random() != g2.random()
    # ...and drawing again from g1 continues the stream instead of repeating it.
    b = nd.random.standard_normal(100, rng=g1)
    assert not np.array_equal(a, b)
    # Same generator state, same numbers.
    g3, g4 = np.random.Generator(make(11)), np.random.Generator(make(11))
    np.testing.assert_array_equal(nd.random.standard_normal(37, rng=g3), nd.random.standard_normal(37, rng=g4))
    np.testing.assert_array_equal(g3.random(3), g4.random(3))


@pytest.mark.parametrize("make", [np.random.PCG64, np.random.Philox, np.random.MT19937, np.random.SFC64])
@pytest.mark.parametrize("n", [0, 4, 10**6])
def test_numpy_generator_advanced_by_exactly_two_words(make, n):
    """The rule: a draw takes two next_uint64 words (the same as
    integers(0, 2**64, size=2, dtype=uint64)) whatever its size; an empty draw none."""
    g, probe = np.random.Generator(make(0)), np.random.Generator(make(0))
    x = nd.random.standard_normal(n, rng=g)
    key = probe.integers(0, 2**64, size=2, dtype=np.uint64) if n else None
    assert _same(g.bit_generator.state, probe.bit_generator.state)
    if n:
        # ...and the numbers are those of a Xoshiro256x8 stream keyed by those words
        own = Xoshiro256x8(0)
        _set(own, [int(key[0]), int(key[1])])
        np.testing.assert_array_equal(x, nd.random.standard_normal(n, rng=own))


def test_bitgenerator_accepted_directly():
    bg = np.random.PCG64(1)
    x = nd.random.standard_normal(5, rng=bg)
    np.testing.assert_array_equal(x, nd.random.standard_normal(5, rng=np.random.Generator(np.random.PCG64(1))))


@pytest.mark.parametrize("bad", ["seed", 1.5, object(), True])
def test_bad_rng_type(bad):
    with pytest.raises(TypeError, match="rng"):
        nd.random.standard_normal(3, rng=bad)


def test_negative_seed():
    with pytest.raises(ValueError, match="non-negative"):
        nd.random.standard_normal(3, rng=-1)


def test_xoshiro_state_roundtrip_and_pickle():
    g = np.random.Generator(Xoshiro256x8(42))
    g.random(5)
    state = g.bit_generator.state
    a = g.random(3000)
    g.bit_generator.state = state
    np.testing.assert_array_equal(a, g.random(3000))
    g.bit_generator.state = state
    h = pickle.loads(pickle.dumps(g.bit_generator))
    np.testing.assert_array_equal(np.random.Generator(h).random(10), g.random(10))
    with pytest.raises(ValueError):
        g.bit_generator.state = {"bit_generator": "PCG64"}


def test_xoshiro_uniformity():
    from scipy import stats

    u = np.random.Generator(Xoshiro256x8(0)).random(200_000)
    assert stats.kstest(u, "uniform").pvalue > 1e-4
