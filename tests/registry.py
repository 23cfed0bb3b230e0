"""The generic test registry: every family adds entries here, and
tests/test_generic.py checks each against torch (shapes, sample == rsample for
the same rng, expand, log_prob/entropy shapes and values).

An entry is ``(id, make)``: ``make(torch)`` returns ``(numdist_dist, torch_dist)``
built from the same float64 parameters.
"""
import numpy as np

import numdist as nd

_r = np.random.default_rng(12345)


def _normal(loc_shape, scale_shape):
    loc = _r.normal(size=loc_shape)
    scale = _r.uniform(0.5, 2.0, size=scale_shape)

    def make(torch):
        return nd.Normal(loc, scale), torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale))

    return make


def _independent(shape, n):
    loc = _r.normal(size=shape)
    scale = _r.uniform(0.5, 2.0, size=shape)

    def make(torch):
        return (nd.Independent(nd.Normal(loc, scale), n),
                torch.distributions.Independent(torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale)), n))

    return make


CASES = [
    ("normal-scalar", _normal((), ())),
    ("normal-vector", _normal((4,), (4,))),
    ("normal-broadcast", _normal((3, 1), (5,))),
    ("normal-matrix", _normal((2, 3), (2, 3))),
    ("independent-1", _independent((3, 2), 1)),
    ("independent-2", _independent((4, 3, 2), 2)),
    ("independent-0", _independent((3,), 0)),
]

SAMPLE_SHAPES = [(), (1,), (5,), (2, 3), 4]
