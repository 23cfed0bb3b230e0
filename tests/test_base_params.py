"""The base class's parameter bookkeeping: _init_params records, _grad / _zero_grad,
the generic expand, pickling and deepcopy of every family."""
import copy
import pickle

import numpy as np
import pytest

import numdist as nd
from numdist.distribution import Distribution, ParamRecord


class Pair(Distribution):
    """A minimal element-wise family written against the base API only."""

    from numdist import constraints as _c
    arg_constraints = {"a": _c.finite, "b": _c.positive_finite}

    def __init__(self, a, b, validate_args=None):
        _, batch_shape = self._init_params(a=a, b=b)
        super().__init__(batch_shape, validate_args=validate_args)


def test_init_params_records_shapes_dtypes_and_broadcasts():
    d = Pair(np.zeros((2, 1), np.float32), np.ones(3, np.float64))
    assert d.batch_shape == (2, 3) and d.dtype == np.float64
    assert d.a.shape == (2, 3) and d.b.shape == (2, 3) and not d.a.flags.writeable
    assert d._params == {"a": ParamRecord((2, 1), np.dtype(np.float32), 0),
                         "b": ParamRecord((3,), np.dtype(np.float64), 0)}
    # Python scalars are weak; integers promote to float64
    e = Pair(np.zeros(3, np.float32), 2)
    assert e.dtype == np.float32 and e._params["b"].grad_dtype == np.float32
    f = Pair(np.arange(3), 1.0)
    assert f.dtype == np.float64 and f._params["a"].grad_dtype == np.float64


def test_init_params_broadcast_error_names_parameters():
    with pytest.raises(ValueError, match=r"a with shape \(2,\) and b with shape \(3,\) do not broadcast together"):
        Pair(np.zeros(2), np.ones(3))
    with pytest.raises(ValueError, match=r"loc with shape \(2,\) and scale with shape \(3,\) do not broadcast"):
        nd.Normal(np.zeros(2), np.ones(3))


def test_grad_and_zero_grad_sum_to_parameter_shape_and_dtype():
    d = Pair(np.zeros((2, 1), np.float32), 1.0)
    g = np.ones((5, 2, 3))
    ga, gb = d._grad("a", g), d._grad("b", g)
    assert ga.shape == (2, 1) and ga.dtype == np.float32 and np.all(ga == 15)
    assert gb.shape == () and gb.dtype == np.float32 and gb == 30
    z = d._zero_grad("a")
    assert z.shape == (2, 1) and z.dtype == np.float32 and not z.any()


def test_event_dims_records():
    d = nd.MultivariateNormal(np.zeros(3, np.float32), covariance_matrix=np.eye(3) * np.ones((4, 1, 1)))
    assert d._params["loc"] == ParamRecord((3,), np.dtype(np.float32), 1)
    assert d._params["covariance_matrix"] == ParamRecord((4, 3, 3), np.dtype(np.float64), 2)
    c = nd.Categorical(logits=np.zeros((2, 5), np.float32))
    assert c._params == {"logits": ParamRecord((2, 5), np.dtype(np.float32), 1)}


def _families():
    return {
        "Normal": nd.Normal(np.zeros((1, 3)), np.ones(3)),
        "Categorical_probs": nd.Categorical(probs=np.full((1, 4), 0.25)),
        "Categorical_logits": nd.Categorical(logits=np.zeros((1, 4))),
        "OneHotCategorical": nd.OneHotCategorical(probs=np.full((1, 4), 0.25)),
        "RelaxedOneHotCategorical": nd.RelaxedOneHotCategorical(0.5, logits=np.zeros((1, 4))),
        "MVN_cov": nd.MultivariateNormal(np.zeros((1, 2)), np.eye(2)),
        "MVN_prec": nd.MultivariateNormal(np.zeros(2), precision_matrix=np.eye(2) * np.ones((1, 1, 1))),
        "MVN_tril": nd.MultivariateNormal(np.zeros(2), scale_tril=np.eye(2)[None]),
        "Independent": nd.Independent(nd.Normal(np.zeros((1, 3)), 1.0), 1),
    }


@pytest.mark.parametrize("name", sorted(_families()))
def test_generic_expand_views_and_same_numbers(name):
    d = _families()[name]
    new_batch = (2, 5) + d.batch_shape[1:]
    e = d.expand(new_batch)
    assert type(e) is type(d) and e.batch_shape == new_batch and e.event_shape == d.event_shape
    assert e._validate_args == d._validate_args
    for key in getattr(d, "_params", {}):
        v = e.__dict__.get(key)
        if v is not None and key != "temperature":
            assert v.shape[:len(new_batch)] == new_batch and 0 in v.strides  # a view, not a copy
    x = e.sample((2,), rng=3)
    assert x.shape == (2,) + new_batch + d.event_shape
    # lazily computed counterparts are recomputed for the new shape
    if hasattr(d, "probs"):
        assert e.probs.shape[:2] == (2, 5)
        np.testing.assert_allclose(e.logits[1, 3], d.logits[0])


def test_expand_drops_lazy_counterpart():
    d = nd.Categorical(probs=np.full((1, 4), 0.25))
    d.logits  # computed and cached
    assert "logits" in d.__dict__
    e = d.expand((3,))
    assert "logits" not in e.__dict__ and e.logits.shape == (3, 4)
    m = nd.MultivariateNormal(np.zeros(2), np.eye(2))
    m.precision_matrix
    f = m.expand((4,))
    assert "precision_matrix" not in f.__dict__ and f.precision_matrix.shape == (4, 2, 2)


def test_expand_does_not_revalidate_and_refuses_bad_shapes():
    d = nd.Normal(0.0, 1.0)
    with pytest.raises(ValueError, match="expand"):
        nd.Normal(np.zeros(3), 1.0).expand((4,))
    assert d.expand((2, 3)).batch_shape == (2, 3)


@pytest.mark.parametrize("name", sorted(_families()))
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_pickle_and_deepcopy_every_family(name, how):
    d = _families()[name].expand((7,) + _families()[name].batch_shape[1:])
    e = pickle.loads(pickle.dumps(d)) if how == "pickle" else copy.deepcopy(d)
    assert type(e) is type(d) and e.batch_shape == d.batch_shape and e.event_shape == d.event_shape
    np.testing.assert_array_equal(e.sample((3,), rng=1), d.sample((3,), rng=1))
    if not isinstance(d, nd.RelaxedOneHotCategorical):
        x = d.sample(rng=2)
        np.testing.assert_array_equal(e.log_prob(x), d.log_prob(x))
    for key, rec in getattr(d, "_params", {}).items():
        assert e._params[key] == rec


def test_generic_expand_of_a_new_family():
    d = Pair(np.zeros(3), 2.0)
    e = d.expand((4, 3))
    assert e.a.shape == e.b.shape == (4, 3) and e._params is d._params
    assert copy.deepcopy(e).b.shape == (4, 3)


def test_pickle_keeps_broadcast_parameters_compact():
    d = nd.Normal(0.0, 1.0).expand((1000, 1000))
    assert len(pickle.dumps(d)) < 10_000
    e = pickle.loads(pickle.dumps(d))
    assert e.loc.shape == (1000, 1000) and 0 in e.loc.strides
