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


# -- Categorical family ------------------------------------------------------------------
# torch's Categorical mean/variance are NaN-filled (numdist's too); RelaxedOneHotCategorical
# has no mean, variance or entropy in torch (NotImplementedError in both).
def _cat_param(name, shape, zeros):
    if name == "probs":
        v = _r.uniform(0.1, 2.0, size=shape)
        if zeros:
            v[..., 1] = 0.0
    else:
        v = _r.normal(size=shape) * 2
        if zeros:
            v[..., 0] = -np.inf
    return v


def _categorical(cls, name, shape, zeros=False):
    value = _cat_param(name, shape, zeros)

    def make(torch):
        return (getattr(nd, cls)(**{name: value}),
                getattr(torch.distributions, cls)(**{name: torch.tensor(value)}))

    return make


def _relaxed(name, shape, temperature):
    value = _cat_param(name, shape, False)
    temp = np.asarray(temperature, dtype=np.float64)

    def make(torch):
        return (nd.RelaxedOneHotCategorical(temp, **{name: value}),
                torch.distributions.RelaxedOneHotCategorical(torch.tensor(temp), **{name: torch.tensor(value)}))

    return make


CASES += [
    ("categorical-probs-vector", _categorical("Categorical", "probs", (5,))),
    ("categorical-probs-batched", _categorical("Categorical", "probs", (3, 4))),
    ("categorical-probs-zeros", _categorical("Categorical", "probs", (2, 3, 6), zeros=True)),
    ("categorical-logits-batched", _categorical("Categorical", "logits", (2, 1, 7))),
    ("categorical-logits-neginf", _categorical("Categorical", "logits", (4, 3), zeros=True)),
    ("categorical-K1", _categorical("Categorical", "probs", (3, 1))),
    ("onehot-probs-vector", _categorical("OneHotCategorical", "probs", (4,))),
    ("onehot-logits-batched", _categorical("OneHotCategorical", "logits", (2, 3, 5), zeros=True)),
    ("relaxed-logits-vector", _relaxed("logits", (4,), 0.8)),
    ("relaxed-probs-batched", _relaxed("probs", (3, 5), 1.5)),
]


# -- MultivariateNormal: the three parameterisations, with broadcasting batch shapes ----------
def _mvn(param, loc_shape, mat_batch):
    d = loc_shape[-1]
    loc = _r.normal(size=loc_shape)
    a = _r.normal(size=tuple(mat_batch) + (d, d))
    cov = a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)
    value = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
             "scale_tril": np.linalg.cholesky(cov)}[param]

    def make(torch):
        return (nd.MultivariateNormal(loc, **{param: value}),
                torch.distributions.MultivariateNormal(torch.tensor(loc), **{param: torch.tensor(value)}))

    return make


CASES += [
    ("mvn-cov-single", _mvn("covariance_matrix", (3,), ())),
    ("mvn-cov-batched", _mvn("covariance_matrix", (3, 2), (3,))),
    ("mvn-cov-loc-broadcast", _mvn("covariance_matrix", (4,), (2, 3))),
    ("mvn-precision-batched", _mvn("precision_matrix", (5, 3), (5,))),
    ("mvn-precision-broadcast", _mvn("precision_matrix", (2, 1, 3), (4,))),
    ("mvn-scale_tril-single", _mvn("scale_tril", (2,), ())),
    ("mvn-scale_tril-broadcast", _mvn("scale_tril", (3, 4), (2, 1))),
    ("mvn-scale_tril-d1", _mvn("scale_tril", (4, 1), (4,))),
]
