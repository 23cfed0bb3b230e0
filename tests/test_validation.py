"""The one validation path: every family and functional sampler refuses a bad
parameter with numdist.errors.ParameterError (a ValueError) whose message has one
shape, naming the parameter, the batch index, the reason and the value."""
import re
import subprocess
import sys

import numpy as np
import pytest

import numdist as nd
from numdist import constraints
from numdist.errors import ParameterError

SHAPE = re.compile(r"^Expected parameter (?P<name>\w+) \(ndarray of shape \([0-9, ]*\)\) of (?P<where>[\w. ]+) "
                   r"to satisfy the constraint .+\(.*\), but (?P=name) at batch index (?P<index>\([0-9, ]*\)) "
                   r"(?P<reason>.+)$")

NAN3 = np.eye(3) * 2.0
BAD_COV = np.stack([np.eye(3), np.diag([1.0, -1.0, 1.0])])
NONSYM = np.stack([np.eye(3), np.eye(3)])
NONSYM[1, 2, 0] = 0.5
BAD_TRIL = np.stack([np.eye(3), np.eye(3)])
BAD_TRIL[1, 1, 1] = -1.0

CASES = [
    # constructor, parameter, batch index, reason fragment
    (lambda: nd.Normal([0.0, 0.0], [1.0, -1.0]), "scale", (1,), "is negative"),
    (lambda: nd.Normal([0.0, np.nan], 1.0), "loc", (1,), "is NaN"),
    (lambda: nd.Normal([np.inf, 0.0], 1.0), "loc", (0,), "is infinite"),
    (lambda: nd.Normal(0.0, [1.0, 0.0]), "scale", (1,), "is zero"),
    (lambda: nd.Categorical(probs=[[0.5, 0.5], [0.5, -0.1]]), "probs", (1,), "negative entry"),
    (lambda: nd.Categorical(probs=[[0.5, 0.5], [0.0, 0.0]]), "probs", (1,), "rows must sum to a positive number"),
    (lambda: nd.Categorical(logits=[[0.0, np.nan]]), "logits", (0,), "contains NaN"),
    (lambda: nd.Categorical(logits=[[0.0, 0.0], [-np.inf, -np.inf]]), "logits", (1,), "all -inf"),
    (lambda: nd.OneHotCategorical(probs=[[0.5, 0.5], [np.inf, 0.5]]), "probs", (1,), "contains inf"),
    (lambda: nd.OneHotCategorical(logits=[[np.inf, 0.0]]), "logits", (0,), "+inf"),
    (lambda: nd.RelaxedOneHotCategorical(1.0, probs=[[0.5, 0.5], [-1.0, 2.0]]), "probs", (1,), "negative"),
    (lambda: nd.RelaxedOneHotCategorical([1.0, -1.0], logits=np.zeros(2)), "temperature", (1,), "is negative"),
    (lambda: nd.MultivariateNormal([[0.0] * 3, [0.0, np.nan, 0.0]], NAN3), "loc", (1,), "component 1"),
    (lambda: nd.MultivariateNormal(np.zeros(3), NONSYM), "covariance_matrix", (1,), "is not symmetric"),
    (lambda: nd.MultivariateNormal(np.zeros(3), precision_matrix=NONSYM), "precision_matrix", (1,), "not symmetric"),
    (lambda: nd.MultivariateNormal(np.zeros(3), BAD_COV), "covariance_matrix", (1,), "not positive definite"),
    (lambda: nd.MultivariateNormal(np.zeros(3), scale_tril=BAD_TRIL), "scale_tril", (1,), "diagonal must be positive"),
    (lambda: nd.Independent(nd.Normal(np.zeros((2, 2)), [[1.0, 1.0], [1.0, -2.0]]), 1), "scale", (1, 1), "negative"),
    (lambda: nd.random.normal(0.0, [1.0, -1.0], rng=0), "scale", (1,), "is negative"),
    (lambda: nd.random.normal([0.0, np.nan], 1.0, rng=0), "loc", (1,), "is NaN"),
    (lambda: nd.random.multivariate_normal(np.zeros(3), BAD_COV, rng=0), "cov", (1,), "not positive definite"),
    (lambda: nd.random.multivariate_normal(np.zeros(3), NONSYM, rng=0), "cov", (1,), "not symmetric"),
    (lambda: nd.random.categorical([[0.5, 0.5], [0.5, -0.5]], rng=0), "p", (1,), "negative"),
    (lambda: nd.random.categorical(logits=[[0.0, 0.0], [np.nan, 0.0]], rng=0), "logits", (1,), "NaN"),
    (lambda: nd.AliasTable([[0.5, 0.5], [0.0, 0.0]]), "probs", (1,), "sums to zero"),
]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_bad_parameter_refused_with_one_message_shape(i):
    make, name, index, reason = CASES[i]
    with pytest.raises(ParameterError) as info:
        make()
    err = info.value
    assert isinstance(err, ValueError)
    m = SHAPE.match(str(err))
    assert m is not None, str(err)
    assert m["name"] == name and m["index"] == str(index) and reason in m["reason"], str(err)
    assert err.name == name and err.index == index and reason in err.reason


def test_kernel_failures_raise_the_same_error_type_with_validation_off():
    with pytest.raises(ParameterError, match=r"covariance_matrix at batch index \(1,\) is not positive definite"):
        nd.MultivariateNormal(np.zeros(3), BAD_COV, validate_args=False)
    d = nd.Categorical(probs=[[0.5, 0.5], [0.5, -0.5]], validate_args=False)
    for shape in ((), (5000,)):
        with pytest.raises(ParameterError, match=r"probs at batch index \(1,\) has a negative entry"):
            d.sample(shape, rng=0)


def test_validation_off_skips_the_checks():
    nd.Normal(0.0, -1.0, validate_args=False)
    nd.MultivariateNormal(np.zeros(3), NONSYM, validate_args=False)
    nd.RelaxedOneHotCategorical(-1.0, probs=[0.5, 0.5], validate_args=False)
    nd.OneHotCategorical(probs=[0.5, -0.5], validate_args=False)


def test_lazy_counterparts_are_not_validated():
    # probs given: logits (lazy) never checked, even when -inf
    d = nd.Categorical(probs=[0.0, 1.0])
    assert "logits" not in d.__dict__
    assert set(d._validation_values()) == {"probs"}


def test_index_is_into_the_broadcast_batch():
    with pytest.raises(ParameterError, match=r"loc at batch index \(1, 0\) is NaN"):
        nd.Normal([[0.0], [np.nan]], np.ones(4))


def test_functional_validate_helper():
    constraints.validate("scale", np.ones(3), constraints.nonnegative_finite, where="random.normal")
    with pytest.raises(ParameterError, match=r"of random.thing .* scale at batch index \(2,\) is infinite: inf"):
        constraints.validate("scale", [0.0, 1.0, np.inf], constraints.nonnegative_finite, where="random.thing")


@pytest.mark.parametrize("constraint,good,bad,reason", [
    (constraints.interval(0.0, 1.0), [0.0, 1.0], [0.5, 1.5], "outside [0, 1]"),
    (constraints.half_open_interval(0.0, 1.0), [0.0, 0.5], [0.0, 1.0], "outside [0, 1)"),
    (constraints.open_interval(0.0, 1.0), [0.1, 0.5], [0.5, 0.0], "outside (0, 1)"),
    (constraints.unit_interval, [0.0, 1.0], [0.0, -0.1], "outside [0, 1]"),
    (constraints.greater_than_eq(2.0), [2.0, 3.0], [2.0, 1.0], "less than 2"),
    (constraints.greater_than(2.0), [2.5, 3.0], [3.0, 2.0], "not greater than 2"),
    (constraints.less_than(2.0), [1.0, -3.0], [1.0, 2.0], "not less than 2"),
    (constraints.boolean, [0.0, 1.0], [1.0, 0.5], "not 0 or 1"),
    (constraints.positive, [1.0, np.inf], [1.0, -1.0], "negative"),
    (constraints.positive_finite, [1.0, 2.0], [1.0, np.inf], "infinite"),
    (constraints.nonnegative, [0.0, np.inf], [0.0, np.nan], "NaN"),
    (constraints.nonnegative_integer, [0.0, 3.0], [0.0, 1.5], "not an integer"),
    (constraints.simplex, [[0.5, 0.5]], [[0.5, 0.6]], "does not sum to 1"),
    (constraints.lower_cholesky, [np.eye(2)], [np.array([[1.0, 1.0], [0.0, 1.0]])], "not lower triangular"),
    (constraints.positive_definite, [np.eye(2)], [np.array([[1.0, 0.0], [np.nan, 1.0]])], "contains NaN"),
])
def test_constraints_check_and_explain(constraint, good, bad, reason):
    constraints.validate("x", np.asarray(good), constraint, where="test")
    with pytest.raises(ParameterError) as info:
        constraints.validate("x", np.asarray(bad), constraint, where="test")
    assert info.value.index == ((1,) if np.ndim(bad) - constraint.event_dim == 1 and len(bad) > 1 else (0,))
    assert reason in info.value.reason, info.value.reason


def test_parameter_dependent_interval_and_dependent_property():
    c = constraints.interval(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(c.check(np.array([0.5, 0.5])), [True, False])
    with pytest.raises(ParameterError, match=r"batch index \(1,\)"):
        constraints.validate("x", np.array([0.5, 0.5]), c, where="test")

    class Uniformish(nd.Distribution):
        arg_constraints = {"low": constraints.dependent, "high": constraints.dependent}

        def __init__(self, low, high, validate_args=None):
            _, batch_shape = self._init_params(low=low, high=high)
            super().__init__(batch_shape, validate_args=validate_args)

        @constraints.dependent_property(is_discrete=False, event_dim=0)
        def support(self):
            return constraints.interval(self.low, self.high)

    assert constraints.is_dependent(Uniformish.support) and constraints.is_dependent(constraints.dependent)
    u = Uniformish([0.0, 1.0], 2.0)  # dependent constraints are not checked on their own
    with pytest.raises(ValueError, match="support"):
        u._validate_sample(np.array([1.0, 0.5]))


def test_tolerances_defined_once():
    assert (constraints.SYMMETRY_RTOL, constraints.SYMMETRY_ATOL) == (1e-5, 1e-6)
    m = np.eye(3)
    m[0, 1] = 1e-7
    nd.MultivariateNormal(np.zeros(3), m)  # within torch's isclose tolerance


def test_parameter_error_pickles():
    import pickle
    with pytest.raises(ParameterError) as info:
        nd.Normal(0.0, -1.0)
    e = pickle.loads(pickle.dumps(info.value))
    assert type(e) is ParameterError and str(e) == str(info.value) and e.index == () and e.name == "scale"


def test_kl_registry_imports_no_family():
    code = ("import sys, numdist.kl; "
            "bad = [m for m in ('numdist.normal', 'numdist.categorical', 'numdist.multivariate_normal', "
            "'numdist.independent') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    # importing numdist.kl imports the package __init__, which imports every family; check the module's own imports
    import ast
    import inspect
    import numdist.kl
    tree = ast.parse(inspect.getsource(numdist.kl))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not imported & {"numdist.normal", "numdist.categorical", "numdist.multivariate_normal",
                           "numdist.independent"}, imported
    assert out.startswith("[")


def test_families_register_their_own_kl_pairs():
    from numdist.kl import _KL_REGISTRY, _KL_VJP_REGISTRY
    for P in (nd.Normal, nd.Categorical, nd.MultivariateNormal, nd.Independent):
        assert (P, P) in _KL_REGISTRY and (P, P) in _KL_VJP_REGISTRY
        assert _KL_REGISTRY[P, P].__module__ == P.__module__
