"""Large fills choose their stores by one flag, nd_bits_t.stream_out, which only the
element-wise dispatcher sets: 1 for a C-contiguous output of resident memory (written
before: a reused out=, asked of the kernel with mincore) that is not read back at once
(``read_back=False`` of ``fill``/``fill_tiles``), where kernels write whole lines of a chunk
or more with non-temporal stores; 0 (the default everywhere else) for pages not touched yet
(a large array just allocated for the draw), strided outputs, and values read back at once
(``read_back=True``: the noise rsample_vjp keeps, a Dask block feeding fused reductions;
MultivariateNormal). A hint only: the numbers must be the
same either way."""
import numpy as np
import pytest

import numdist as nd
from numdist.random import Xoshiro256x8

SAMPLERS = {
    "standard_normal": lambda n, rng, out=None: nd.random.standard_normal(n if out is None else None, out=out, rng=rng),
    "standard_exponential": lambda n, rng, out=None: nd.random.standard_exponential(n if out is None else None, out=out,
                                                                                   rng=rng),
    "standard_gamma(2.5)": lambda n, rng, out=None: nd.random.standard_gamma(2.5, n if out is None else None, out=out,
                                                                            rng=rng),
    "standard_gamma(0.3)": lambda n, rng, out=None: nd.random.standard_gamma(0.3, n if out is None else None, out=out,
                                                                            rng=rng),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
@pytest.mark.parametrize("n", [65535, 65536, 65537, 200_003])
def test_fresh_and_out_arrays_get_the_same_numbers(name, n):
    f = SAMPLERS[name]
    g1, g2 = Xoshiro256x8(31), Xoshiro256x8(31)
    fresh = f(n, g1)
    buf = np.full(n + 4, 7.0)
    out = buf[1:n + 1]                      # 8 bytes off the array's start: off a 64-byte line too
    f(n, g2, out=out)
    np.testing.assert_array_equal(out, fresh)
    assert buf[0] == 7.0 and (buf[n + 1:] == 7.0).all()   # nothing written around out
    # both generators moved alike: the next draws agree
    np.testing.assert_array_equal(f(5, g1), f(5, g2))


TILE_KERNELS = {
    # kernel, parameter (None: the kernel's default); float64 contiguous outputs of whole
    # chunks are where the normal, exponential and gamma kernels may stream
    "normal": None,
    "exponential": None,
    "standard_gamma": 2.5,
    "laplace": None,
}


@pytest.mark.parametrize("kernel", sorted(TILE_KERNELS))
@pytest.mark.parametrize("read_back", [False, True])
@pytest.mark.parametrize("offset", [0, 1])
def test_tiles_into_resident_buffers_match_the_full_draw(kernel, read_back, offset):
    """fill_tiles into a buffer written before (resident: streamed unless read_back) gives
    the full draw's numbers, with read_back or without, and writes nothing around it."""
    from numdist._common import CHUNK_ELEMS
    from numdist.sampling import draw, draw_tiles

    shape = (3 * CHUNK_ELEMS + 1001,)
    p = TILE_KERNELS[kernel]
    params = () if p is None else (np.full(shape, p),)
    ref = draw(kernel, Xoshiro256x8(77), shape, np.dtype(np.float64), *params)
    n = 2 * CHUNK_ELEMS + 1001                      # chunks [1, 4): two whole ones and the last
    store = np.full(n + 2, 7.0)                     # written: its pages are resident
    out = store[offset:offset + n]                  # offset 1: 8 bytes off a 64-byte line
    got = draw_tiles(kernel, Xoshiro256x8(77), shape, np.dtype(np.float64), 1, 4, *params, out=out,
                     read_back=read_back)
    assert got is out
    np.testing.assert_array_equal(out, ref[CHUNK_ELEMS:])
    rest = np.delete(store, np.arange(offset, offset + n))
    assert (rest == 7.0).all()


def test_read_back_is_keyword_only_and_defaults_to_streaming():
    from numdist import _elementwise
    from numdist.sampling import draw_tiles
    import inspect

    sig = inspect.signature(draw_tiles)
    assert sig.parameters["read_back"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["read_back"].default is False
    assert "read_back" in (_elementwise.fill_tiles.__doc__ or "")


@pytest.mark.parametrize("name", ["standard_normal", "standard_exponential", "standard_gamma(2.5)"])
def test_strided_and_reversed_outputs_get_the_same_numbers(name):
    """Outputs that are not C-contiguous keep plain stores (the flag stays 0): the same
    numbers as a fresh contiguous draw, and nothing written between their elements."""
    f = SAMPLERS[name]
    n = 2 * 65536 + 3
    fresh = f(n, Xoshiro256x8(5))
    buf = np.full(2 * n, 7.0)
    f(n, Xoshiro256x8(5), out=buf[::2])
    np.testing.assert_array_equal(buf[::2], fresh)
    assert (buf[1::2] == 7.0).all()
    rev = np.full(n, 7.0)
    f(n, Xoshiro256x8(5), out=rev[::-1])
    np.testing.assert_array_equal(rev[::-1], fresh)



@pytest.mark.parametrize("kernel", sorted(TILE_KERNELS))
def test_fill_with_read_back_gets_the_same_numbers(kernel):
    """fill(read_back=True) (Normal.rsample_vjp's kept noise: plain stores into a resident
    block) and the streamed fill of the same resident buffer give the same numbers."""
    from numdist import _elementwise

    n = 2 * 65536 + 7
    p = TILE_KERNELS[kernel]
    params = () if p is None else (np.full(n, p),)
    got = {}
    for read_back in (False, True):
        out = np.full(n, 7.0)                       # written: resident
        _elementwise.fill(kernel, Xoshiro256x8(123), out, *params, read_back=read_back)
        got[read_back] = out
    np.testing.assert_array_equal(got[True], got[False])
    assert np.isfinite(got[True]).all()


def test_rsample_vjp_keeps_the_numbers_of_rsample_beyond_a_chunk():
    """The noise rsample_vjp keeps (plain stores, read back at once) gives rsample's draw."""
    d = nd.Normal(np.linspace(-1.0, 1.0, 1000), np.linspace(0.5, 2.0, 1000))
    for _ in range(2):                              # the second step reuses pooled blocks
        x, _vjp = d.rsample_vjp((300,), rng=Xoshiro256x8(9))
        np.testing.assert_array_equal(x, d.rsample((300,), rng=Xoshiro256x8(9)))


# parameters inside every kernel's domain (one or two, broadcast to the output shape)
KERNEL_PARAMS = {"normal": (0.5, 2.0), "normal_box_muller": (0.5, 2.0), "uniform": (-1.0, 3.0),
                 "exponential": (2.0,), "laplace": (0.5, 2.0), "cauchy": (0.5, 2.0), "gumbel": (0.5, 2.0),
                 "bernoulli": (0.3,), "geometric": (0.3,), "geometric_failures": (0.3,),
                 "standard_gamma": (2.5,), "log_standard_gamma": (0.4,), "chisquare": (3.0,),
                 "standard_t": (4.0,), "beta": (0.7, 2.0), "lognormal": (0.1, 0.5), "weibull": (1.5,),
                 "poisson": (3.7,), "negative_binomial_odds": (3.0, 0.7), "binomial": (20.0, 0.3),
                 "truncated_normal": (-1.0, 2.0)}


def _kernel_cases():
    from numdist import _elementwise

    # integer kernels take their dtype from their parameters: always given there
    return [(name, with_params) for name in sorted(KERNEL_PARAMS) for with_params in (False, True)
            if with_params or not _elementwise.kernel_info(name)[1]]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, with_params", _kernel_cases())
def test_contiguous_and_strided_outputs_get_the_same_numbers(name, with_params, dtype):
    """A C-contiguous 2-D output (which the dispatcher may pass a chunk at a time to the
    kernels whose values do not depend on call boundaries) and a strided one of the same
    shape (always one call per row) give the same numbers, for every kernel of the table."""
    from numdist import _elementwise

    assert set(KERNEL_PARAMS) == set(_elementwise.kernel_names())
    shape = (37, 1777)                              # rows that are not multiples of anything
    _, int_out = _elementwise.kernel_info(name)
    odt = np.int64 if int_out else dtype
    ps = [np.full(shape, v, dtype=dtype) for v in KERNEL_PARAMS[name]] if with_params else []
    contiguous = np.zeros(shape, dtype=odt)
    _elementwise.fill(name, Xoshiro256x8(8), contiguous, *ps)
    wide = np.zeros((shape[0], shape[1] + 3), dtype=odt)
    strided = wide[:, 1:shape[1] + 1]
    assert not strided.flags.c_contiguous
    _elementwise.fill(name, Xoshiro256x8(8), strided, *ps)
    np.testing.assert_array_equal(contiguous, strided)
    assert (wide[:, 0] == 0).all() and (wide[:, shape[1] + 1:] == 0).all()
