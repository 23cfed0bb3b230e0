"""Large fills choose their stores by the output's memory (nd_bits_t.fresh_out, asked of
the kernel with mincore): pages not touched yet (a large array just allocated for the
draw) keep plain stores, memory written before (a reused out=) of a whole chunk or more
gets non-temporal ones. A hint only: the numbers must be the same either way."""
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
