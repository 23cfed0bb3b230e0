"""Bad input to MultivariateNormal and numdist.random.multivariate_normal: a clear
exception naming the parameter, the batch index and the reason (the Cholesky
column for factorisation failures), with validation on; with validation off the
Cholesky failure is still reported and nothing crashes. Shape errors, TypeErrors,
and wrong out= refused before any write."""
import re

import numpy as np
import pytest

import numdist as nd

D = 3
MATS = ("covariance_matrix", "precision_matrix")


def good(batch=(4,)):
    return np.broadcast_to(np.eye(D) * 2.0, tuple(batch) + (D, D)).copy()


def err(match_parts):
    """A regex requiring every part, in order."""
    return ".*".join(re.escape(p) for p in match_parts)


# -- covariance / precision -----------------------------------------------------------------------
@pytest.mark.parametrize("name", MATS)
def test_not_symmetric(name):
    m = good((2, 3))
    m[1, 2, 0, 2] = 0.5
    with pytest.raises(ValueError, match=err([name, "batch index (1, 2)", "not symmetric", "(2, 0)", "(0, 2) = 0.5"])):
        nd.MultivariateNormal(np.zeros(D), **{name: m})
    # torch's tolerance: a difference within isclose(rtol=1e-5, atol=1e-6) passes
    m = good()
    m[0, 0, 1] = 1e-7
    nd.MultivariateNormal(np.zeros(D), **{name: m})


@pytest.mark.parametrize("name", MATS)
def test_rank_deficient(name):
    m = good()
    v = np.array([1.0, 2.0, 3.0])
    m[2] = np.outer(v, v)  # rank 1: the 2x2 leading minor is singular
    with pytest.raises(ValueError, match=err([name, "batch index (2,)", "not positive definite", "column"])):
        nd.MultivariateNormal(np.zeros(D), **{name: m})
    # validation off: the failed factorisation is still reported, with the column
    with pytest.raises(ValueError, match=err([name, "batch index (2,)", "not positive definite", "column"])):
        nd.MultivariateNormal(np.zeros(D), **{name: m}, validate_args=False)


def test_negative_eigenvalue_reports_the_column():
    m = good()
    m[3] = np.array([[2.0, 0.0, 0.0], [0.0, 1.0, 0.9], [0.0, 0.9, 0.5]])  # minor of order 3 < 0
    assert np.linalg.eigvalsh(m[3]).min() < 0
    with pytest.raises(ValueError, match=err(["covariance_matrix", "batch index (3,)", "leading minor of order 3",
                                              "Cholesky failed at column 2"])):
        nd.MultivariateNormal(np.zeros(D), m)
    m[3] = np.diag([1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match=err(["covariance_matrix", "batch index (3,)", "column 1"])):
        nd.MultivariateNormal(np.zeros(D), m, validate_args=False)
    # precision: column c means the trailing block P[c:, c:] is not positive definite
    p = good()
    p[1] = np.diag([-1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=err(["precision_matrix", "batch index (1,)", "trailing block",
                                              "[0:, 0:]", "column 0"])):
        nd.MultivariateNormal(np.zeros(D), precision_matrix=p)


@pytest.mark.parametrize("name", MATS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf(name, bad):
    m = good()
    m[1, 2, 2] = bad
    kind = "NaN" if np.isnan(bad) else "inf"
    with pytest.raises(ValueError, match=err([name, "batch index (1,)", f"contains {kind}", "(2, 2)"])):
        nd.MultivariateNormal(np.zeros(D), **{name: m})
    with pytest.raises(ValueError, match=err([name, "batch index (1,)"])):
        nd.MultivariateNormal(np.zeros(D), **{name: m}, validate_args=False)
    m = good()
    m[1, 2, 0] = m[1, 0, 2] = bad
    with pytest.raises(ValueError, match=err([name, "batch index (1,)", f"contains {kind}"])):
        nd.MultivariateNormal(np.zeros(D), **{name: m})


def test_validation_off_reads_the_lower_triangle_only():
    m = good()
    m[0, 0, 2] = 5.0      # not symmetric
    m[1, 0, 1] = np.nan   # NaN above the diagonal
    d = nd.MultivariateNormal(np.zeros(D), m, validate_args=False)
    ref = nd.MultivariateNormal(np.zeros(D), good())
    np.testing.assert_array_equal(d.sample((3,), rng=0), ref.sample((3,), rng=0))
    with pytest.raises(ValueError, match="covariance_matrix at batch index"):
        nd.MultivariateNormal(np.zeros(D), m)


# -- scale_tril ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("diag", [0.0, -0.5, np.nan])
def test_scale_tril_bad_diagonal(diag):
    L = good((2, 2))
    L[1, 0, 1, 1] = diag
    reason = "contains NaN" if np.isnan(diag) else "non-positive diagonal"
    with pytest.raises(ValueError, match=err(["scale_tril", "batch index (1, 0)", reason, "(1, 1)"])):
        nd.MultivariateNormal(np.zeros(D), scale_tril=L)
    # validation off: accepted; the density is not finite but nothing crashes
    d = nd.MultivariateNormal(np.zeros(D), scale_tril=L, validate_args=False)
    lp = d.log_prob(np.ones(D))
    assert lp.shape == (2, 2) and np.isfinite(lp[0]).all() and not np.isfinite(lp[1, 0])
    assert d.sample((2,), rng=0).shape == (2, 2, 2, D)
    d.entropy()


def test_scale_tril_not_lower_triangular():
    L = good()
    L[3, 0, 2] = 0.25
    with pytest.raises(ValueError, match=err(["scale_tril", "batch index (3,)", "not lower triangular", "(0, 2)"])):
        nd.MultivariateNormal(np.zeros(D), scale_tril=L)


# -- loc and shapes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_loc_nan_inf(bad):
    loc = np.zeros((2, 3, D))
    loc[1, 2, 1] = bad
    with pytest.raises(ValueError, match=err(["loc", "batch index (1, 2)", "NaN" if np.isnan(bad) else "inf",
                                              "component 1"])):
        nd.MultivariateNormal(loc, good((3,)))
    nd.MultivariateNormal(loc, good((3,)), validate_args=False)  # accepted when validation is off


def test_shape_errors():
    with pytest.raises(ValueError, match=err(["loc has 2 components", "covariance_matrix is 3 x 3"])):
        nd.MultivariateNormal(np.zeros(2), good())
    with pytest.raises(ValueError, match=err(["loc has 4 components", "scale_tril is 3 x 3"])):
        nd.MultivariateNormal(np.zeros((4, 4)), scale_tril=good())
    with pytest.raises(ValueError, match="square"):
        nd.MultivariateNormal(np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="do not broadcast"):
        nd.MultivariateNormal(np.zeros((3, D)), good((4,)))
    with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
        nd.MultivariateNormal(0.0, np.eye(1))
    with pytest.raises(ValueError, match="at least two-dimensional"):
        nd.MultivariateNormal(np.zeros(3), precision_matrix=np.ones(3))
    with pytest.raises(ValueError, match="Exactly one"):
        nd.MultivariateNormal(np.zeros(3))
    with pytest.raises(ValueError, match="Exactly one"):
        nd.MultivariateNormal(np.zeros(3), np.eye(3), scale_tril=np.eye(3))


def test_type_errors():
    with pytest.raises(TypeError, match="loc"):
        nd.MultivariateNormal(["a", "b"], np.eye(2))
    with pytest.raises(TypeError, match="covariance_matrix"):
        nd.MultivariateNormal(np.zeros(2), np.eye(2) * 1j)
    with pytest.raises(TypeError, match="scale_tril"):
        nd.MultivariateNormal(np.zeros(2), scale_tril="eye")
    with pytest.raises(TypeError, match="value"):
        nd.MultivariateNormal(np.zeros(2), np.eye(2)).log_prob(np.array(["x", "y"]))


def test_log_prob_bad_values():
    d = nd.MultivariateNormal(np.zeros((4, D)), good())
    with pytest.raises(ValueError, match="event_shape"):
        d.log_prob(np.zeros(D + 1))
    with pytest.raises(ValueError, match="not broadcastable"):
        d.log_prob(np.zeros((3, D)))
    v = np.zeros((2, 4, D))
    v[1, 3, 0] = np.nan
    with pytest.raises(ValueError, match=err(["support", "index (1, 3)"])):
        d.log_prob(v)
    off = nd.MultivariateNormal(np.zeros((4, D)), good(), validate_args=False)
    assert np.isnan(off.log_prob(v)[1, 3]) and np.isfinite(off.log_prob(v)[0]).all()


def test_kl_shape_errors():
    p = nd.MultivariateNormal(np.zeros(D), good((4,)))
    with pytest.raises(ValueError, match="event shapes"):
        nd.kl_divergence(p, nd.MultivariateNormal(np.zeros(2), np.eye(2)))
    with pytest.raises(ValueError):
        nd.kl_divergence(p, nd.MultivariateNormal(np.zeros(D), good((3,))))


# -- the functional sampler -----------------------------------------------------------------------------
def test_functional_bad_cov_and_mean():
    c = good((2, 3))
    c[0, 1] = np.diag([1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=err(["cov at batch index (0, 1)", "not positive definite",
                                              "Cholesky failed at column 1"])):
        nd.random.multivariate_normal(np.zeros(D), c, rng=0)
    c = good()
    c[2, 1, 0] = 3.0
    with pytest.raises(ValueError, match=err(["cov at batch index (2,)", "not symmetric"])):
        nd.random.multivariate_normal(np.zeros(D), c, size=(5, 4), rng=0)
    with pytest.raises(ValueError, match=err(["mean at batch index (1,)", "NaN"])):
        nd.random.multivariate_normal([[0.0] * D, [np.nan] * D], good((2,)), rng=0)
    with pytest.raises(ValueError, match="mean has 2 components"):
        nd.random.multivariate_normal(np.zeros(2), np.eye(D))
    with pytest.raises(ValueError, match="shape mismatch"):
        nd.random.multivariate_normal(np.zeros(D), good((4,)), size=5)
    with pytest.raises(ValueError, match="shape mismatch"):
        nd.random.multivariate_normal(np.zeros((4, D)), np.eye(D), size=(4, 2))
    with pytest.raises(TypeError, match="cov"):
        nd.random.multivariate_normal(np.zeros(D), "I")


def test_functional_out_refused_before_any_write():
    covs = good()
    for out, exc, match in [
        (np.full((4, D), 7.0, dtype=np.float32), TypeError, "wrong type"),
        (np.full((4, D + 1), 7.0), ValueError, "shape"),
        (np.full((5, D), 7.0), ValueError, "shape"),
        (np.full((4, D), 7, dtype=np.int64), TypeError, "wrong type"),
    ]:
        with pytest.raises(exc, match=match):
            nd.random.multivariate_normal(np.zeros(D), covs, out=out, rng=0)
        assert np.all(out == 7)
    ro = np.full((4, D), 7.0)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        nd.random.multivariate_normal(np.zeros(D), covs, out=ro)
    with pytest.raises(TypeError, match="ndarray"):
        nd.random.multivariate_normal(np.zeros(D), covs, out=[[0.0] * D] * 4)
    # a bad covariance (the last one) is found before anything is written into out
    bad = good((6000,))
    bad[-1, 2, 2] = -1.0
    out = np.full((6000, D), 7.0)
    with pytest.raises(ValueError, match=err(["cov at batch index (5999,)", "column 2"])):
        nd.random.multivariate_normal(np.zeros(D), bad, out=out, rng=0)
    assert np.all(out == 7)


def test_float32_bad_input():
    c = good().astype(np.float32)
    c[1, 1, 1] = -1
    with pytest.raises(ValueError, match=err(["covariance_matrix at batch index (1,)", "column 1"])):
        nd.MultivariateNormal(np.zeros(D, dtype=np.float32), c)
    with pytest.raises(ValueError, match=err(["cov at batch index (1,)", "column 1"])):
        nd.random.multivariate_normal(np.zeros(D, dtype=np.float32), c)
    L = good().astype(np.float32)
    L[0, 2, 2] = 0
    with pytest.raises(ValueError, match=err(["scale_tril at batch index (0,)", "non-positive diagonal"])):
        nd.MultivariateNormal(np.zeros(D, dtype=np.float32), scale_tril=L)


def test_empty_batches_and_zero_dimensional_events_do_not_crash():
    d = nd.MultivariateNormal(np.zeros(D), np.zeros((0, D, D)))
    assert d.batch_shape == (0,) and d.sample((2,), rng=0).shape == (2, 0, D)
    assert d.log_prob(np.zeros((2, 0, D))).shape == (2, 0)
    e = nd.MultivariateNormal(np.zeros(0), np.zeros((0, 0)))
    assert e.sample((4,), rng=0).shape == (4, 0)
    np.testing.assert_array_equal(e.log_prob(np.zeros((4, 0))), np.zeros(4))
    assert nd.random.multivariate_normal(np.zeros(D), np.eye(D), size=0, rng=0).shape == (0, D)
