"""MultivariateNormal and numdist.random.multivariate_normal: shapes and values against
torch and scipy (all three parameterisations, broadcasting), sampling statistics,
the random-stream contract, float32, strided inputs, out=, Independent, KL, and the
seed document's batched example."""
import numpy as np
import pytest

import numdist as nd

from conftest import peak_bytes, strided_views

PARAMS = ("covariance_matrix", "precision_matrix", "scale_tril")

# (loc shape, matrix shape): batch shapes that broadcast in every way torch allows
COMBOS = [
    ((2,), (2, 2)),
    ((3, 2), (3, 2, 2)),       # the seed document: 3 means, 3 covariances
    ((3, 2), (2, 2)),          # batched loc, one matrix
    ((2,), (4, 2, 2)),         # one loc, batched matrices
    ((5, 1, 3), (4, 3, 3)),    # loc and matrix batch dims broadcast against each other
    ((1, 3), (2, 1, 3, 3)),
    ((4, 1), (4, 1, 1)),       # d = 1
    ((2, 3, 4), (3, 4, 4)),
]
SAMPLE_SHAPES = [(), 4, (2, 3), (1,)]
combo_ids = [f"loc{a}-mat{b}" for a, b in COMBOS]


def spd(rng, batch, d, jitter=0.5):
    a = rng.normal(size=tuple(batch) + (d, d))
    return a @ np.swapaxes(a, -1, -2) / d + jitter * np.eye(d)


def param_value(name, cov):
    if name == "covariance_matrix":
        return cov
    if name == "precision_matrix":
        return np.linalg.inv(cov)
    return np.linalg.cholesky(cov)


def make_pair(torch, name, loc, mat, **kw):
    return (nd.MultivariateNormal(loc, **{name: mat}, **kw),
            torch.distributions.MultivariateNormal(torch.tensor(loc), **{name: torch.tensor(mat)}))


def close(a, b, rtol=1e-10):
    """Relative agreement: entries within rtol, tiny entries within rtol of the largest."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def tshape(s):
    return (s,) if isinstance(s, int) else tuple(s)


# -- shapes and values against torch -------------------------------------------------------
@pytest.mark.parametrize("name", PARAMS)
@pytest.mark.parametrize("combo", COMBOS, ids=combo_ids)
def test_shapes_and_values_match_torch(combo, name, torch):
    r = np.random.default_rng([COMBOS.index(combo), PARAMS.index(name)])
    loc_shape, mat_shape = combo
    loc = r.normal(size=loc_shape)
    mat = param_value(name, spd(r, mat_shape[:-2], mat_shape[-1]))
    d, td = make_pair(torch, name, loc, mat)
    assert d.batch_shape == tuple(td.batch_shape) and d.event_shape == tuple(td.event_shape)
    for s in SAMPLE_SHAPES:
        x = d.sample(s, rng=1)
        assert x.shape == tuple(td.sample(tshape(s)).shape) == d.rsample(s, rng=1).shape
        lp = d.log_prob(x)
        tlp = td.log_prob(torch.as_tensor(x)).numpy()
        assert np.shape(lp) == tlp.shape
        close(lp, tlp)
    # values broadcasting against the batch in other ways: one event, extra leading dims, size-1 dims
    ev = d.event_shape
    for vshape in [ev, (7,) + (1,) * len(d.batch_shape) + ev, (2,) + d.batch_shape + ev]:
        v = r.normal(size=vshape)
        close(d.log_prob(v), td.log_prob(torch.as_tensor(v)).numpy())
    close(d.entropy(), td.entropy().numpy())
    for attr in ("mean", "mode", "variance", "stddev", "scale_tril", "covariance_matrix", "precision_matrix"):
        ours, theirs = getattr(d, attr), getattr(td, attr).numpy()
        assert ours.shape == theirs.shape, attr
        close(ours, theirs, 1e-9)


@pytest.mark.parametrize("name", PARAMS)
def test_log_prob_and_entropy_match_scipy(name):
    from scipy import stats

    r = np.random.default_rng(5)
    covs = spd(r, (6,), 4)
    loc = r.normal(size=(6, 4))
    d = nd.MultivariateNormal(loc, **{name: param_value(name, covs)})
    x = d.sample((9,), rng=2)
    lp, h = d.log_prob(x), d.entropy()
    for b in range(6):
        ref = stats.multivariate_normal(loc[b], covs[b])
        close(lp[:, b], ref.logpdf(x[:, b]))
        close(h[b], ref.entropy())


@pytest.mark.parametrize("name", PARAMS)
def test_kl_matches_torch_and_closed_form(name, torch):
    r = np.random.default_rng(6)
    d = 3
    cp, cq = spd(r, (4,), d), spd(r, (2, 1), d)        # batches (4,) and (2, 1) -> (2, 4)
    lp_, lq_ = r.normal(size=(4, d)), r.normal(size=(d,))
    p, tp = make_pair(torch, name, lp_, param_value(name, cp))
    q, tq = make_pair(torch, "scale_tril", lq_, param_value("scale_tril", cq))
    kl = nd.kl_divergence(p, q)
    tkl = torch.distributions.kl_divergence(tp, tq).numpy()
    assert kl.shape == tkl.shape == (2, 4)
    close(kl, tkl)
    ref = np.empty((2, 4))
    for i in range(2):
        for j in range(4):
            sq_inv = np.linalg.inv(cq[i, 0])
            delta = lq_ - lp_[j]
            ref[i, j] = 0.5 * (np.trace(sq_inv @ cp[j]) + delta @ sq_inv @ delta - d
                               + np.linalg.slogdet(cq[i, 0])[1] - np.linalg.slogdet(cp[j])[1])
    close(kl, ref)
    np.testing.assert_allclose(nd.kl_divergence(p, p), 0, atol=1e-12)
    with pytest.raises(ValueError, match="event shapes"):
        nd.kl_divergence(p, nd.MultivariateNormal(np.zeros(2), np.eye(2)))


def test_expand_and_independent_match_torch(torch):
    r = np.random.default_rng(7)
    d, td = make_pair(torch, "covariance_matrix", r.normal(size=(3, 2)), spd(r, (3,), 2))
    e, te = d.expand((4, 3)), td.expand((4, 3))
    assert e.batch_shape == (4, 3) and e.loc.base is not None  # a view, no copy
    assert np.shares_memory(e.covariance_matrix, d.covariance_matrix)
    x = e.sample((2,), rng=0)
    assert x.shape == (2, 4, 3, 2)
    close(e.log_prob(x), te.log_prob(torch.as_tensor(x)).numpy())
    close(e.entropy(), te.entropy().numpy())
    with pytest.raises(ValueError, match="expand"):
        d.expand((4,))
    ind, tind = nd.Independent(d, 1), torch.distributions.Independent(td, 1)
    assert ind.batch_shape == () and ind.event_shape == (3, 2)
    x = ind.sample((5,), rng=0)
    assert x.shape == (5, 3, 2)
    close(ind.log_prob(x), tind.log_prob(torch.as_tensor(x)).numpy())
    close(ind.entropy(), tind.entropy().numpy())
    d2, td2 = make_pair(torch, "scale_tril", r.normal(size=(3, 2)), np.linalg.cholesky(spd(r, (3,), 2)))
    close(nd.kl_divergence(ind, nd.Independent(d2, 1)),
          torch.distributions.kl_divergence(tind, torch.distributions.Independent(td2, 1)).numpy())


def test_lazy_parameters_are_lazy_and_consistent():
    r = np.random.default_rng(8)
    cov = spd(r, (5,), 3)
    d = nd.MultivariateNormal(np.zeros(3), covariance_matrix=cov)
    assert "scale_tril" not in d.__dict__ and "precision_matrix" not in d.__dict__
    close(d.scale_tril @ np.swapaxes(d.scale_tril, -1, -2), cov, 1e-12)
    close(d.precision_matrix, np.linalg.inv(cov), 1e-10)
    assert "scale_tril" in d.__dict__
    dp = nd.MultivariateNormal(np.zeros(3), precision_matrix=np.linalg.inv(cov))
    close(dp.covariance_matrix, cov, 1e-10)
    close(dp.scale_tril, np.linalg.cholesky(cov), 1e-10)
    ds = nd.MultivariateNormal(np.zeros(3), scale_tril=np.linalg.cholesky(cov))
    close(ds.covariance_matrix, cov, 1e-12)


# -- sampling statistics --------------------------------------------------------------------------
def _check_moments(x, mean, cov, z=5.0):
    """Sample mean and covariance of draws x (n, d) within z standard errors."""
    n = x.shape[0]
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(x.mean(0) - mean) < z * se_mean), (x.mean(0), mean)
    c = np.cov(x.T)
    var = np.diag(cov)
    se_cov = np.sqrt((np.outer(var, var) + cov**2) / n)
    return np.all(np.abs(c - cov) < z * se_cov)


@pytest.mark.parametrize("name", PARAMS)
def test_one_distribution_1e6_draws_moments_and_mahalanobis_ks(name):
    from scipy import stats

    r = np.random.default_rng(9)
    d = 4
    cov = spd(r, (), d)
    cov[0, 1] = cov[1, 0] = 0.8 * np.sqrt(cov[0, 0] * cov[1, 1])  # a strong correlation
    cov += 0.2 * np.eye(d)
    mean = np.array([1.0, -2.0, 0.5, 3.0])
    dist = nd.MultivariateNormal(mean, **{name: param_value(name, cov)})
    x = dist.sample(10**6, rng=123)
    assert _check_moments(x, mean, cov)
    # power: the same bounds reject a covariance 1% off and a transposed factor
    assert not _check_moments(x, mean, cov * 1.01)
    L = np.linalg.cholesky(cov)
    assert not _check_moments(x, mean, L.T @ L)
    maha = np.einsum("ni,ij,nj->n", x - mean, np.linalg.inv(cov), x - mean)
    assert stats.kstest(maha, stats.chi2(d).cdf).pvalue > 1e-3
    assert stats.kstest(maha * 1.01, stats.chi2(d).cdf).pvalue < 1e-6  # the test can fail


def test_batched_draws_mahalanobis_ks_per_covariance():
    """1e5 different covariances, one draw each (the fused path): the Mahalanobis
    distance of each draw under its own covariance is chi-square(d)."""
    from scipy import stats

    r = np.random.default_rng(10)
    n, d = 10**5, 3
    covs = spd(r, (n,), d, jitter=0.1) * r.uniform(0.1, 10, size=(n, 1, 1))
    means = r.normal(size=(n, d))
    for x in (nd.random.multivariate_normal(means, covs, rng=4),
              nd.MultivariateNormal(means, covs).sample(rng=5)):
        diff = x - means
        maha = np.einsum("ni,nij,nj->n", diff, np.linalg.inv(covs), diff)
        assert stats.kstest(maha, stats.chi2(d).cdf).pvalue > 1e-3
        # the same draws scored against the transposed factors' covariance fail
        L = np.linalg.cholesky(covs)
        wrong = np.einsum("ni,nij,nj->n", diff, np.linalg.inv(np.swapaxes(L, -1, -2) @ L), diff)
        assert stats.kstest(wrong, stats.chi2(d).cdf).pvalue < 1e-6


def test_float32_draws_have_the_right_moments():
    r = np.random.default_rng(11)
    cov = spd(r, (), 3).astype(np.float32)
    mean = np.array([1, 2, 3], dtype=np.float32)
    x = nd.MultivariateNormal(mean, cov).sample(10**6, rng=0)
    assert x.dtype == np.float32
    assert _check_moments(x.astype(np.float64), mean, cov.astype(np.float64))


# -- the random-stream contract ------------------------------------------------------------------
def test_same_seed_same_numbers_and_functional_equals_class():
    r = np.random.default_rng(12)
    covs, means = spd(r, (50,), 3), r.normal(size=(50, 3))
    d = nd.MultivariateNormal(means, covs)
    a = d.sample((4,), rng=7)
    np.testing.assert_array_equal(a, d.sample((4,), rng=7))
    np.testing.assert_array_equal(a, d.rsample((4,), rng=7))
    np.testing.assert_array_equal(a, d.rsample_vjp((4,), rng=7)[0])
    np.testing.assert_array_equal(a, nd.random.multivariate_normal(means, covs, size=(4, 50), rng=7))
    assert not np.array_equal(a, d.sample((4,), rng=8))
    # the three parameterisations give the same draws up to rounding of the factor
    dp = nd.MultivariateNormal(means, precision_matrix=np.linalg.inv(covs))
    ds = nd.MultivariateNormal(means, scale_tril=np.linalg.cholesky(covs))
    close(dp.sample((4,), rng=7), a, 1e-9)
    close(ds.sample((4,), rng=7), a, 1e-12)


def test_fused_factorise_and_draw_equals_two_step():
    r = np.random.default_rng(13)
    n = 70_000  # several chunks
    covs, means = spd(r, (n,), 4), r.normal(size=(n, 4))
    fused = nd.random.multivariate_normal(means, covs, rng=3)            # one draw per covariance
    out = np.empty((n, 4))
    two_step = nd.random.multivariate_normal(means, covs, out=out, rng=3)  # factorise, validate, then draw
    cls = nd.MultivariateNormal(means, covs).sample(rng=3)
    np.testing.assert_array_equal(fused, two_step)
    np.testing.assert_array_equal(fused, cls)
    f32 = nd.random.multivariate_normal(means.astype(np.float32), covs.astype(np.float32), rng=3)
    o32 = np.empty((n, 4), dtype=np.float32)
    np.testing.assert_array_equal(f32, nd.random.multivariate_normal(means, covs, out=o32, rng=3, dtype=np.float32))


@pytest.mark.parametrize("work", ["one-cov-many-draws", "many-covs", "log_prob"])
def test_results_do_not_depend_on_thread_count(work):
    r = np.random.default_rng(14)
    covs, means = spd(r, (40_000,), 4), r.normal(size=(40_000, 4))
    saved = nd.get_num_threads()
    res = []
    try:
        for t in (1, 2, 3):
            nd.set_num_threads(t)
            if work == "one-cov-many-draws":
                res.append(nd.random.multivariate_normal(means[0], covs[0], size=300_000, rng=5))
            elif work == "many-covs":
                res.append(nd.MultivariateNormal(means, covs).sample((3,), rng=5))
            else:
                d = nd.MultivariateNormal(means, covs)
                res.append(d.log_prob(d.sample((2,), rng=5)))
    finally:
        nd.set_num_threads(saved)
    for x in res[1:]:
        np.testing.assert_array_equal(res[0], x)


def test_numpy_generator_is_used_and_advanced():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    g1, g2 = np.random.default_rng(1), np.random.default_rng(1)
    a = nd.random.multivariate_normal([0, 0], cov, size=1000, rng=g1)
    b = nd.random.multivariate_normal([0, 0], cov, size=1000, rng=g2)
    np.testing.assert_array_equal(a, b)
    assert g1.random() == g2.random()
    assert g1.bit_generator.state != np.random.default_rng(1).bit_generator.state
    c = nd.random.multivariate_normal([0, 0], cov, size=1000, rng=g1)
    assert not np.array_equal(a, c)
    nd.manual_seed(3)
    x = nd.MultivariateNormal(np.zeros(2), cov).sample((5,))
    nd.manual_seed(3)
    np.testing.assert_array_equal(x, nd.MultivariateNormal(np.zeros(2), cov).sample((5,)))


# -- float32 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PARAMS)
def test_float32_end_to_end(name):
    r = np.random.default_rng(15)
    cov = spd(r, (20,), 4)
    loc = r.normal(size=(20, 4))
    d64 = nd.MultivariateNormal(loc, **{name: param_value(name, cov)})
    d32 = nd.MultivariateNormal(loc.astype(np.float32), **{name: param_value(name, cov).astype(np.float32)})
    x32 = d32.sample((50,), rng=0)
    assert x32.dtype == np.float32 and d32.dtype == np.float32
    lp32 = d32.log_prob(x32)
    assert lp32.dtype == np.float32
    lp64 = d64.log_prob(x32.astype(np.float64))
    np.testing.assert_allclose(lp32, lp64, rtol=1e-4)
    for attr in ("mean", "variance", "scale_tril", "covariance_matrix", "precision_matrix"):
        assert getattr(d32, attr).dtype == np.float32, attr
        np.testing.assert_allclose(getattr(d32, attr), getattr(d64, attr), rtol=1e-4, atol=1e-5)
    h = d32.entropy()
    assert h.dtype == np.float32
    np.testing.assert_allclose(h, d64.entropy(), rtol=1e-5)
    kl = nd.kl_divergence(d32, d32.expand((20,)))
    assert kl.dtype == np.float32
    # float64 values promote, as NumPy would
    assert d32.log_prob(x32.astype(np.float64)).dtype == np.float64
    # mixed parameters follow NumPy's promotion
    assert nd.MultivariateNormal(loc.astype(np.float32), cov).dtype == np.float64
    assert nd.MultivariateNormal([0, 0], np.eye(2, dtype=np.int64)).sample().dtype == np.float64


# -- strided parameters ----------------------------------------------------------------------------
def test_non_contiguous_and_negative_stride_parameters_give_the_same_results():
    r = np.random.default_rng(16)
    cov = spd(r, (6,), 3)
    loc = r.normal(size=(6, 3))
    ref = nd.MultivariateNormal(loc, cov)
    x = ref.sample((4,), rng=1)
    big = np.zeros((12, 3, 6))
    big[::2, :, ::2] = np.swapaxes(cov, -1, -2)[::-1]          # transposed storage (cov is symmetric)
    cov_view = np.swapaxes(big[::2, :, ::2], -1, -2)[::-1]       # step 2, reversed batch, column-major
    loc_view = np.ascontiguousarray(loc[::-1, ::-1])[::-1, ::-1]  # negative strides on both axes
    assert not cov_view.flags.c_contiguous and cov_view.strides[0] < 0 and loc_view.strides[1] < 0
    np.testing.assert_array_equal(cov_view, cov)
    for name, mat in (("covariance_matrix", cov_view), ("precision_matrix", np.ascontiguousarray(np.linalg.inv(cov)[:, ::-1, ::-1])[:, ::-1, ::-1]),
                      ("scale_tril", np.asfortranarray(np.linalg.cholesky(cov)))):
        d = nd.MultivariateNormal(loc_view, **{name: mat})
        close(d.sample((4,), rng=1), x, 1e-9)
        close(d.log_prob(x), ref.log_prob(x), 1e-10)
        close(d.log_prob(x[:, ::-1][:, ::-1]), ref.log_prob(x), 1e-10)
        close(d.log_prob(np.asfortranarray(x)), ref.log_prob(x), 1e-10)
    # misaligned float64 parameters (offset by one byte inside a byte buffer)
    raw = np.zeros(cov.nbytes + 1, dtype=np.uint8)
    mis = raw[1:].view(np.float64).reshape(cov.shape)
    mis[...] = cov
    assert not mis.flags.aligned
    np.testing.assert_array_equal(nd.MultivariateNormal(loc, mis).sample((4,), rng=1), x)


# -- the functional sampler -------------------------------------------------------------------------
@pytest.mark.parametrize("mean_shape,cov_shape,size,expected", [
    ((3,), (3, 3), None, (3,)),
    ((3,), (3, 3), 5, (5, 3)),
    ((3,), (3, 3), (2, 5), (2, 5, 3)),
    ((4, 3), (3, 3), None, (4, 3)),
    ((3,), (4, 3, 3), None, (4, 3)),
    ((4, 3), (4, 3, 3), (6, 4), (6, 4, 3)),
    ((2, 1, 3), (4, 3, 3), (5, 2, 4), (5, 2, 4, 3)),
    ((1, 3), (3, 3), (7, 1), (7, 1, 3)),
])
def test_functional_shapes(mean_shape, cov_shape, size, expected):
    r = np.random.default_rng(17)
    mean, cov = r.normal(size=mean_shape), spd(r, cov_shape[:-2], cov_shape[-1])
    x = nd.random.multivariate_normal(mean, cov, size, rng=0)
    assert x.shape == expected and x.dtype == np.float64
    if mean_shape == (3,) and cov_shape == (3, 3):
        assert np.random.default_rng(0).multivariate_normal(mean, cov, size).shape == expected
    out = np.full(expected, np.nan)
    assert nd.random.multivariate_normal(mean, cov, size, out=out, rng=0) is out
    np.testing.assert_array_equal(out, x)
    # size=None takes the shape from out
    out2 = np.full(expected, np.nan)
    nd.random.multivariate_normal(mean, cov, out=out2, rng=0)
    np.testing.assert_array_equal(out2, x)


def test_functional_matches_numpy_statistics_and_dtype():
    cov = np.array([[1.0, 0.5, 0.1], [0.5, 2.0, -0.3], [0.1, -0.3, 0.7]])
    mean = np.array([0.5, -1.0, 2.0])
    x = nd.random.multivariate_normal(mean, cov, size=10**6, rng=1)
    assert _check_moments(x, mean, cov)
    x32 = nd.random.multivariate_normal(mean, cov, size=10, dtype=np.float32, rng=1)
    assert x32.dtype == np.float32
    assert nd.random.multivariate_normal(mean.astype(np.float32), cov.astype(np.float32), 3, rng=1).dtype == np.float32
    with pytest.raises(TypeError, match="float32 and float64"):
        nd.random.multivariate_normal(mean, cov, dtype=np.float16)


@pytest.mark.parametrize("layout", ["contiguous", "step2", "negative", "transposed"])
def test_functional_out_views(layout):
    r = np.random.default_rng(18)
    covs, means = spd(r, (7,), 3), r.normal(size=(7, 3))
    shape = (5, 7, 3)
    ref = nd.random.multivariate_normal(means, covs, size=shape[:-1], rng=2)
    base, view = strided_views(shape, np.float64)[layout]
    res = nd.random.multivariate_normal(means, covs, size=shape[:-1], out=view, rng=2)
    assert res is view
    np.testing.assert_array_equal(view, ref)
    assert np.isnan(base).sum() == base.size - ref.size  # nothing outside the view was written


def test_functional_misaligned_out():
    raw = np.zeros(8 * 3 * 10 + 1, dtype=np.uint8)
    out = raw[1:].view(np.float64).reshape(10, 3)
    assert not out.flags.aligned
    cov = np.eye(3)
    nd.random.multivariate_normal(np.zeros(3), cov, out=out, rng=4)
    np.testing.assert_array_equal(out, nd.random.multivariate_normal(np.zeros(3), cov, size=10, rng=4))


# -- the seed document (001): batched MultivariateNormal shapes ----------------------------------------
def test_seed_document_batched_mvn_example(torch):
    one_mean1 = np.array([1, 1], dtype=np.float32)
    one_mean2 = np.array([2, 2], dtype=np.float32)
    one_mean3 = np.array([3, 3], dtype=np.float32)
    mean = np.stack([one_mean1, one_mean2, one_mean3], axis=0)
    var = np.stack([np.array([0.1, 0.1], dtype=np.float32)] * 3, axis=0)
    var_matrix = var[:, :, None] * np.eye(var.shape[1], dtype=np.float32)[None, :, :]
    # the printed values of the post
    np.testing.assert_array_equal(mean, [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_allclose(var_matrix, [[[0.1, 0.0], [0.0, 0.1]]] * 3, rtol=1e-7)
    multi_normal = nd.MultivariateNormal(loc=mean, covariance_matrix=var_matrix)
    assert multi_normal.batch_shape == (3,)        # torch.Size([3])
    assert multi_normal.event_shape == (2,)        # torch.Size([2])
    samples = multi_normal.sample()
    assert samples.shape == (3, 2) and samples.dtype == np.float32       # torch.Size([3, 2])
    samples = multi_normal.sample((100,))
    assert samples.shape == (100, 3, 2)                                   # torch.Size([100, 3, 2])
    for i in range(samples.shape[1]):   # the post's scatter loop over the batch dimension
        each = samples[:, i, :]
        assert each.shape == (100, 2)
        assert np.all(np.abs(each.mean(0) - mean[i]) < 5 * np.sqrt(0.1 / 100))
    # the same object in torch agrees on everything deterministic
    tm = torch.distributions.MultivariateNormal(loc=torch.tensor(mean), covariance_matrix=torch.tensor(var_matrix))
    assert tuple(tm.batch_shape) == multi_normal.batch_shape and tuple(tm.event_shape) == multi_normal.event_shape
    np.testing.assert_allclose(multi_normal.log_prob(samples), tm.log_prob(torch.tensor(samples)).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(multi_normal.scale_tril, tm.scale_tril.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(multi_normal.covariance_matrix, var_matrix)


# -- packed factor, cached half log-determinants (issue 14: glue at >= 10x torch) ---------------
from numdist import _mvn  # noqa: E402
from numdist._mvn_linalg import _draw, _factor, _logdet, _solve  # noqa: E402


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d,loc_shape,mat_batch", [(1, (3,), (3,)), (2, (2,), (4, 1)), (3, (2, 3), (3,)),
                                                    (4, (5,), (5,)), (5, (1,), (2, 3)), (9, (), (4,))])
def test_packed_factor_gives_the_numbers_of_the_full_factor(dtype, d, loc_shape, mat_batch, torch):
    rng = np.random.default_rng(d)
    cov = spd(rng, mat_batch, d).astype(dtype)
    loc = rng.normal(size=loc_shape + (d,)).astype(dtype)
    dist = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
    assert dist._tril_packed is not None and dist._tril_packed.shape == mat_batch + (d * (d + 1) // 2,)
    L = _factor("covariance_matrix", cov, "test")           # the full-matrix kernel
    assert dist._unbroadcasted_scale_tril.dtype == dtype
    np.testing.assert_array_equal(dist._unbroadcasted_scale_tril, L)
    np.testing.assert_array_equal(dist.scale_tril, np.broadcast_to(L, dist.batch_shape + (d, d)))
    tL = torch.linalg.cholesky(torch.from_numpy(cov.astype(np.float64)))
    np.testing.assert_allclose(dist.scale_tril, np.broadcast_to(tL.numpy(), dist.scale_tril.shape),
                               rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6 if dtype == np.float32 else 1e-13)
    full = dist.batch_shape
    # draws: the same numbers as from the full factor, for one and for several samples
    for shape in [(), (3,)]:
        x = dist.rsample(shape, rng=7)
        ref = _draw(7, tuple(shape) + full, dist._loc_raw, L)[0]
        np.testing.assert_array_equal(x, ref)
    x, vjp = dist.rsample_vjp((2,), rng=8)
    np.testing.assert_array_equal(x, _draw(8, (2,) + full, dist._loc_raw, L)[0])
    # log densities: the full kernel's numbers at the first call (fills the cache) and after
    v = dist.rsample((4,), rng=9)
    want = _solve(L, v, dist._loc_raw, (4,) + full, log_prob=True)[0]
    assert not dist._hld_ready
    np.testing.assert_array_equal(dist.log_prob(v), want)
    assert dist._hld_ready
    np.testing.assert_array_equal(dist.log_prob(v), want)
    np.testing.assert_array_equal(dist.log_prob_vjp(v)[0], want)
    # against torch (float64)
    td = torch.distributions.MultivariateNormal(torch.from_numpy(loc.astype(np.float64)),
                                                covariance_matrix=torch.from_numpy(cov.astype(np.float64)))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dist.log_prob(v), td.log_prob(torch.from_numpy(v.astype(np.float64))).numpy(), **tol)
    # entropy: the previous expression, bit for bit
    h = np.broadcast_to(dist.dtype.type(0.5 * d * (1.0 + np.log(2 * np.pi))) + _logdet(L), full)
    np.testing.assert_array_equal(dist.entropy(), h)
    np.testing.assert_allclose(dist.entropy(), td.entropy().numpy(), **tol)


def test_float64_values_on_a_float32_distribution_use_the_cache_with_the_same_numbers():
    rng = np.random.default_rng(3)
    cov, loc = spd(rng, (6,), 4).astype(np.float32), rng.normal(size=(6, 4)).astype(np.float32)
    dist = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
    v = rng.normal(size=(2, 6, 4))
    L = _factor("covariance_matrix", cov, "test").astype(np.float64)
    want = _solve(L, v, loc.astype(np.float64), (2, 6), log_prob=True)[0]
    got = dist.log_prob(v)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_precision_scale_tril_and_large_d_keep_a_full_factor():
    rng = np.random.default_rng(4)
    cov = spd(rng, (3,), 3)
    for kw in ({"precision_matrix": np.linalg.inv(cov)}, {"scale_tril": np.linalg.cholesky(cov)}):
        dist = nd.MultivariateNormal(np.zeros(3), **kw, validate_args=False)
        assert dist._tril_packed is None
        np.testing.assert_allclose(dist.log_prob(np.ones(3)),
                                   nd.MultivariateNormal(np.zeros(3), cov).log_prob(np.ones(3)), rtol=1e-12)
    d = _mvn.MAXD + 1
    big = spd(rng, (), d)
    dist = nd.MultivariateNormal(np.zeros(d), big, validate_args=False)
    assert dist._tril_packed is None
    np.testing.assert_allclose(dist.scale_tril, np.linalg.cholesky(big), rtol=1e-10, atol=1e-12)


def test_cached_half_log_dets_survive_expand_pickle_and_concurrent_first_use():
    import pickle
    import threading

    rng = np.random.default_rng(5)
    cov, loc = spd(rng, (50,), 4), rng.normal(size=(50, 4))
    v = rng.normal(size=(3, 50, 4))
    want = nd.MultivariateNormal(loc, covariance_matrix=cov).log_prob(v)
    dist = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
    ex = dist.expand((2, 50))
    np.testing.assert_array_equal(ex.log_prob(v[:2, None]), np.broadcast_to(want[:2, None], (2, 2, 50)))
    np.testing.assert_array_equal(ex.scale_tril[1], dist.scale_tril)
    np.testing.assert_array_equal(dist.log_prob(v), want)
    again = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(again.log_prob(v), want)
    fresh = pickle.loads(pickle.dumps(nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)))
    np.testing.assert_array_equal(fresh.log_prob(v), want)
    # many threads race to the first log_prob of one distribution: every result is right
    shared = nd.MultivariateNormal(loc, covariance_matrix=cov, validate_args=False)
    results = [None] * 8

    def work(i):
        results[i] = shared.log_prob(v)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, want)




@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_validation_off_allocates_the_packed_factor_and_the_outputs_only(dtype):
    n, d = 20000, 4
    rng = np.random.default_rng(6)
    covs, locs = spd(rng, (n,), d).astype(dtype), rng.normal(size=(n, d)).astype(dtype)
    nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False).rsample(rng=0)  # warm
    item = np.dtype(dtype).itemsize
    packed, hld = n * d * (d + 1) // 2 * item, n * 8      # the factor, its half-log-det slot
    peak = peak_bytes(lambda: nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False))
    assert peak <= packed + hld + 4096, f"construction peaked at {peak} bytes, factor {packed} + {hld}"
    assert peak < covs.nbytes                              # less than one full (n, d, d) factor
    dist = nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False)
    assert "_unbroadcasted_scale_tril" not in dist.__dict__ and "scale_tril" not in dist.__dict__
    assert peak_bytes(lambda: dist.rsample(rng=0)) <= locs.nbytes + 4096
    out_bytes = n * item
    assert peak_bytes(lambda: dist.log_prob(locs)) <= out_bytes + 4096     # first call fills the cache
    assert peak_bytes(lambda: dist.log_prob(locs)) <= out_bytes + 4096
    assert "_unbroadcasted_scale_tril" not in dist.__dict__                # no full factor was made


def test_bench_rows_are_distinct_callables_with_their_own_work():
    """The harness rows of the MVN module time what their names say: in one AVX2 run the
    rows "construct + 1 draw each" and "1 cov, 1e6 draws" printed the same times, 7.00 ms
    and 61.46 ms, but with speed-ups 8.79x and 8.78x (the ratio of the unrounded times):
    different measurements that rounded alike. This checks that no closure is shared."""
    from numdist.benchmarks import mvn as bench_mvn

    rows = bench_mvn.workloads(scale=0.01)
    names = [w.name for w in rows]
    assert len(set(names)) == len(names)
    assert len({id(w.numdist) for w in rows}) == len(rows)
    shapes = [np.shape(w.numdist()) for w in rows]
    assert shapes == [(1000, 4), (10000, 4), (1000,), (1000, 4), (1000,)]
    for w in rows:
        for fn in w.peers.values():
            assert fn is not w.numdist


def test_construction_fast_path_records_read_only_views_as_broadcast_to_did():
    """Distribution._record_params (MultivariateNormal's construction): a parameter whose
    batch part already is the batch shape becomes a read-only view of itself, the others
    np.broadcast_to views; the records keep the shape as passed and the gradient dtype.
    Both ways give the same attributes."""
    rng = np.random.default_rng(11)
    covs, locs = spd(rng, (5,), 3), rng.normal(size=(5, 3))
    for validate in (True, False):
        dist = nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=validate)
        for name, given in (("loc", locs), ("covariance_matrix", covs)):
            arr = getattr(dist, name)
            assert not arr.flags.writeable
            assert np.shares_memory(arr, given) and arr.shape == given.shape and arr.strides == given.strides
            with pytest.raises(ValueError):
                arr[...] = 0
            assert dist._params[name].shape == given.shape
            assert dist._params[name].grad_dtype == np.float64
        assert locs.flags.writeable and covs.flags.writeable  # the caller's arrays are left alone
    # broadcast operands: loc (1, 3) against 5 matrices, one matrix against loc (2, 5, 3)
    dist = nd.MultivariateNormal(locs[:1], covariance_matrix=covs, validate_args=False)
    assert dist.loc.shape == (5, 3) and dist.loc.strides[0] == 0 and not dist.loc.flags.writeable
    assert dist._params["loc"].shape == (1, 3)
    loc3 = rng.normal(size=(2, 5, 3)).astype(np.float32)
    dist = nd.MultivariateNormal(loc3, covariance_matrix=covs[0].astype(np.float32), validate_args=False)
    assert dist.covariance_matrix.shape == (2, 5, 3, 3) and dist.covariance_matrix.dtype == np.float32
    assert dist._params["covariance_matrix"].shape == (3, 3) and dist._params["loc"].shape == (2, 5, 3)
    g = dist.rsample_vjp(rng=0)[1](np.ones((2, 5, 3), np.float32))
    assert g["covariance_matrix"].shape == (3, 3) and g["covariance_matrix"].dtype == np.float32
    # expand and pickling still see broadcast views of the recorded parameters
    import pickle
    e = nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False).expand((4, 5))
    assert e.loc.shape == (4, 5, 3) and e.covariance_matrix.shape == (4, 5, 3, 3)
    p = pickle.loads(pickle.dumps(nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False)))
    np.testing.assert_array_equal(p.loc, locs)  # (NumPy unpickles a same-shape view as its own array, as before)
    np.testing.assert_array_equal(p.rsample(rng=1), nd.MultivariateNormal(locs, covariance_matrix=covs).rsample(rng=1))


@pytest.mark.parametrize("batch", [(5,), (2, 3), (), (0,)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_construction_short_path_sets_what_record_params_sets(batch, dtype, name):
    """MultivariateNormal.__init__ records two aligned arrays of one float dtype and one
    batch shape itself (no as_float_params / _check_shapes / _record_params): the same
    records, dtype, batch shape and read-only views of the caller's arrays as the base
    class's _record_params gives for them, and the same numbers as the general path
    (operands given as lists)."""
    rng = np.random.default_rng(21)
    mats = spd(rng, batch, 3).astype(dtype)
    if name == "scale_tril":
        mats = np.linalg.cholesky(mats.astype(np.float64)).astype(dtype)
    locs = rng.normal(size=batch + (3,)).astype(dtype)
    dist = nd.MultivariateNormal(locs, validate_args=False, **{name: mats})
    ref = nd.MultivariateNormal.__new__(nd.MultivariateNormal)
    bs = ref._record_params({"loc": locs, name: mats}, {"loc": locs, name: mats}, np.dtype(dtype),
                            event_dims={"loc": 1, name: 2})
    assert dist.batch_shape == bs and dist.event_shape == (3,)
    assert dist._params == ref._params and dist.dtype == ref.dtype == dtype
    for attr, given in (("loc", locs), (name, mats)):
        a, r = getattr(dist, attr), getattr(ref, attr)
        assert a.shape == r.shape and a.strides == r.strides and a.dtype == r.dtype
        assert not a.flags.writeable and not r.flags.writeable and np.shares_memory(a, given) == (given.size > 0)
    assert locs.flags.writeable and mats.flags.writeable
    if dtype == np.float64 and locs.size:  # lists convert to float64 (and [] has no shape)
        general = nd.MultivariateNormal(locs.tolist(), validate_args=False, **{name: mats.tolist()})
        np.testing.assert_array_equal(dist.rsample((2,), rng=4), general.rsample((2,), rng=4))
        assert general._params == dist._params


@pytest.mark.parametrize("batch", [(7,), (1,), (0,), (2, 3), ()])
def test_rsample_without_shape_equals_every_spelling_of_the_empty_sample_shape(batch):
    """rsample() skips the conversion of sample_shape (and _draw its layout work when the
    operands already are (B, d) and (B, packed)): the same numbers as () spelled as a list,
    a NumPy array or the keyword, for one, several or no batch dims."""
    rng = np.random.default_rng(12)
    covs, locs = spd(rng, batch, 4), rng.normal(size=batch + (4,))
    dist = nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False)
    ref = dist.rsample(rng=5)
    assert ref.shape == batch + (4,)
    for spelled in ([], np.array([], dtype=np.int64), ()):
        np.testing.assert_array_equal(dist.rsample(spelled, rng=5), ref)
    np.testing.assert_array_equal(dist.rsample(sample_shape=(), rng=5), ref)
    # the same values as the general path of _draw (a sample dim of 1, then dropped)
    np.testing.assert_array_equal(dist.rsample((1,), rng=5)[0], ref)
    # the values themselves: loc + L eps with the normals the generator gives for rng=5
    eps = nd.random.standard_normal(size=batch + (4,), rng=5)
    L = np.linalg.cholesky(covs)
    np.testing.assert_allclose(ref, locs + (L @ eps[..., None])[..., 0], rtol=1e-12, atol=1e-12)
