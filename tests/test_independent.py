"""Independent(Normal): shapes, values and every VJP against torch, expand, and the
seed document's example (batch (3,), event (2,), sample((100,)) -> (100, 3, 2))."""
import numpy as np
import pytest

import numdist as nd


def _tensor(torch, a, requires_grad=False):
    a = np.asarray(a)
    t = torch.tensor(a, dtype=torch.float64 if a.dtype == np.float64 else torch.float32)
    return t.requires_grad_(requires_grad)


def _params(loc_shape, scale_shape, seed=0):
    r = np.random.default_rng(seed)
    return r.normal(size=loc_shape), r.uniform(0.5, 2.0, size=scale_shape)


CASES = [  # loc shape, scale shape, reinterpreted_batch_ndims, sample_shape
    ((3, 2), (3, 2), 1, (4,)),
    ((3, 1), (5,), 1, (2,)),       # broadcast parameters
    ((4, 3, 2), (2,), 2, (3,)),
    ((3,), (3,), 0, (2,)),
    ((2, 3), (), 2, ()),
]
IDS = ["3x2-1", "broadcast-1", "4x3x2-2", "ndims-0", "scalar-scale-2"]


@pytest.mark.parametrize("loc_shape,scale_shape,n,sample_shape", CASES, ids=IDS)
def test_shapes_and_values_match_torch(torch, loc_shape, scale_shape, n, sample_shape):
    loc, scale = _params(loc_shape, scale_shape)
    d = nd.Independent(nd.Normal(loc, scale), n)
    td = torch.distributions.Independent(torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale)), n)
    assert d.batch_shape == tuple(td.batch_shape) and d.event_shape == tuple(td.event_shape)
    x = d.sample(sample_shape, rng=1)
    assert x.shape == tuple(td.sample(sample_shape).shape)
    np.testing.assert_allclose(d.log_prob(x), td.log_prob(_tensor(torch, x)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.entropy(), td.entropy().numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.mean, td.mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.variance, td.variance.numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.stddev, td.stddev.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(d.mode, td.mode.numpy())
    assert d.has_rsample and d.support.event_dim == n


def test_log_prob_sums_the_base_over_reinterpreted_dims():
    loc, scale = _params((4, 3, 2), (4, 3, 2))
    base = nd.Normal(loc, scale)
    x = base.sample((5,), rng=2)
    np.testing.assert_allclose(nd.Independent(base, 1).log_prob(x), base.log_prob(x).sum(-1), rtol=1e-13)
    np.testing.assert_allclose(nd.Independent(base, 2).log_prob(x), base.log_prob(x).sum((-1, -2)), rtol=1e-13)
    np.testing.assert_allclose(nd.Independent(base, 3).log_prob(x), base.log_prob(x).sum((-1, -2, -3)), rtol=1e-13)
    np.testing.assert_array_equal(nd.Independent(base, 0).log_prob(x), base.log_prob(x))
    # nested Independents add up
    nested = nd.Independent(nd.Independent(base, 1), 1)
    assert nested.batch_shape == (4,) and nested.event_shape == (3, 2)
    np.testing.assert_allclose(nested.log_prob(x), base.log_prob(x).sum((-1, -2)), rtol=1e-13)


def test_sampling_is_the_base_distributions():
    loc, scale = _params((3, 2), (3, 2))
    base = nd.Normal(loc, scale)
    d = nd.Independent(base, 1)
    np.testing.assert_array_equal(d.sample((6,), rng=3), base.sample((6,), rng=3))
    np.testing.assert_array_equal(d.rsample((6,), rng=3), base.sample((6,), rng=3))
    x, _ = d.rsample_vjp((6,), rng=3)
    np.testing.assert_array_equal(x, base.sample((6,), rng=3))


def test_float32_preserved():
    loc = np.zeros((3, 2), np.float32)
    d = nd.Independent(nd.Normal(loc, np.ones((3, 2), np.float32)), 1)
    x = d.sample((4,), rng=0)
    assert x.dtype == np.float32 and d.log_prob(x).dtype == np.float32 and d.entropy().dtype == np.float32


def test_log_prob_checks_event_shape():
    d = nd.Independent(nd.Normal(np.zeros((3, 2)), 1.0), 1)
    with pytest.raises(ValueError):
        d.log_prob(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="index"):
        d.log_prob(np.array([[0.0, np.nan]] * 3))


def test_expand_is_a_view(torch):
    loc, scale = _params((3, 2), (3, 2))
    d = nd.Independent(nd.Normal(loc, scale), 1)
    e = d.expand((5, 3))
    te = torch.distributions.Independent(
        torch.distributions.Normal(_tensor(torch, loc), _tensor(torch, scale)), 1).expand((5, 3))
    assert e.batch_shape == tuple(te.batch_shape) == (5, 3) and e.event_shape == tuple(te.event_shape) == (2,)
    assert e.base_dist.batch_shape == (5, 3, 2) and e.reinterpreted_batch_ndims == 1
    assert np.shares_memory(e.base_dist.loc, loc) and np.shares_memory(e.base_dist.scale, scale)
    x = e.sample((2,), rng=0)
    assert x.shape == (2, 5, 3, 2)
    np.testing.assert_allclose(e.log_prob(x), te.log_prob(_tensor(torch, x)).numpy(), rtol=1e-12)
    with pytest.raises(ValueError):
        d.expand((4,))


def test_invalid_construction():
    normal = nd.Normal(np.zeros((3, 2)), 1.0)
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        nd.Independent(normal, 3)
    with pytest.raises(ValueError):
        nd.Independent(normal, -1)
    with pytest.raises(TypeError, match="Distribution"):
        nd.Independent(np.zeros(3), 1)


# ---------------------------------------------------------------------------------
# VJPs against torch autograd
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("loc_shape,scale_shape,n,sample_shape", CASES, ids=IDS)
def test_rsample_vjp_matches_torch_on_same_draws(torch, loc_shape, scale_shape, n, sample_shape):
    loc, scale = _params(loc_shape, scale_shape, seed=5)
    d = nd.Independent(nd.Normal(loc, scale), n)
    x, vjp = d.rsample_vjp(sample_shape, rng=6)
    eps = (x - loc) / scale
    g = np.random.default_rng(7).normal(size=x.shape)
    grads = vjp(g)
    tl, ts = _tensor(torch, loc, True), _tensor(torch, scale, True)
    (tl + ts * _tensor(torch, eps)).backward(_tensor(torch, g))
    for name, t, shape in (("loc", tl, loc_shape), ("scale", ts, scale_shape)):
        assert grads[name].shape == shape and grads[name].dtype == np.float64, name
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("loc_shape,scale_shape,n,sample_shape", CASES, ids=IDS)
def test_log_prob_vjp_matches_torch(torch, loc_shape, scale_shape, n, sample_shape):
    loc, scale = _params(loc_shape, scale_shape, seed=8)
    d = nd.Independent(nd.Normal(loc, scale), n)
    value = np.random.default_rng(9).normal(size=tuple(sample_shape) + d.batch_shape + d.event_shape)
    lp, vjp = d.log_prob_vjp(value)
    np.testing.assert_array_equal(lp, d.log_prob(value))
    g = np.random.default_rng(10).normal(size=lp.shape)
    grads = vjp(g)
    tl, ts, tv = _tensor(torch, loc, True), _tensor(torch, scale, True), _tensor(torch, value, True)
    td = torch.distributions.Independent(torch.distributions.Normal(tl, ts), n)
    tlp = td.log_prob(tv)
    assert lp.shape == tuple(tlp.shape)
    tlp.backward(_tensor(torch, g))
    for name, t, arr in (("loc", tl, loc), ("scale", ts, scale), ("value", tv, value)):
        assert grads[name].shape == arr.shape and grads[name].dtype == np.float64, name
        np.testing.assert_allclose(grads[name], t.grad.numpy(), rtol=1e-10, err_msg=name)


@pytest.mark.parametrize("loc_shape,scale_shape,n,sample_shape", CASES, ids=IDS)
def test_entropy_vjp_matches_torch(torch, loc_shape, scale_shape, n, sample_shape):
    loc, scale = _params(loc_shape, scale_shape, seed=11)
    d = nd.Independent(nd.Normal(loc, scale), n)
    h, vjp = d.entropy_vjp()
    np.testing.assert_array_equal(h, d.entropy())
    g = np.random.default_rng(12).normal(size=h.shape)
    grads = vjp(g)
    tl, ts = _tensor(torch, loc, True), _tensor(torch, scale, True)
    th = torch.distributions.Independent(torch.distributions.Normal(tl, ts), n).entropy()
    assert h.shape == tuple(th.shape)
    th.backward(_tensor(torch, g))
    assert grads["loc"].shape == loc_shape and not grads["loc"].any()
    assert grads["scale"].shape == scale_shape
    np.testing.assert_allclose(grads["scale"], ts.grad.numpy(), rtol=1e-10)


def test_scalar_cotangent_means_sum():
    loc, scale = _params((3, 2), (3, 2), seed=13)
    d = nd.Independent(nd.Normal(loc, scale), 1)
    lp, vjp = d.log_prob_vjp(d.sample((4,), rng=0))
    ones = vjp(np.ones(lp.shape))
    for k, v in vjp(1.0).items():
        np.testing.assert_array_equal(v, ones[k])


# ---------------------------------------------------------------------------------
# The seed document (001): batch/event shapes of Independent(Normal, 1)
# ---------------------------------------------------------------------------------
def test_seed_document_independent_example(torch):
    # one_mean_i = torch.tensor([i, i]).float(); mean = torch.stack(..., dim=0)
    mean = np.stack([np.array([1, 1], dtype=np.float32), np.array([2, 2], dtype=np.float32),
                     np.array([3, 3], dtype=np.float32)], axis=0)
    # one_sigma_i = torch.sqrt(torch.tensor([0.1, 0.1]))
    sigma = np.stack([np.sqrt(np.array([0.1, 0.1], dtype=np.float32))] * 3, axis=0)
    tmean, tsigma = torch.tensor(mean), torch.tensor(sigma)

    normal = nd.Normal(loc=mean, scale=sigma)
    tnormal = torch.distributions.Normal(loc=tmean, scale=tsigma)
    assert normal.batch_shape == tuple(tnormal.batch_shape) == (3, 2)
    assert normal.event_shape == tuple(tnormal.event_shape) == ()

    iid_normal = nd.Independent(normal, 1)
    tiid = torch.distributions.Independent(tnormal, 1)
    assert iid_normal.batch_shape == tuple(tiid.batch_shape) == (3,)
    assert iid_normal.event_shape == tuple(tiid.event_shape) == (2,)

    samples = iid_normal.sample((100,))
    assert samples.shape == tuple(tiid.sample(torch.Size([100])).shape) == (100, 3, 2)
    assert samples.dtype == np.float32  # .float() parameters give float32 samples, as in torch
    # samples[:, i, :] is batch member i: centred on mean[i] with spread sigma
    for i in range(samples.shape[1]):
        each = samples[:, i, :]
        assert each.shape == (100, 2)
        assert np.all(np.abs(each.mean(0) - mean[i]) < 5 * np.sqrt(0.1) / 10)
    # deterministic quantities equal torch's
    # float32 on both sides: a log-density near 0 is a difference of O(1) terms, so compare
    # to float32 precision of those terms (absolute), not relative to the small result
    np.testing.assert_allclose(iid_normal.log_prob(samples), tiid.log_prob(torch.tensor(samples)).numpy(),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(iid_normal.entropy(), tiid.entropy().numpy(), rtol=1e-5)
