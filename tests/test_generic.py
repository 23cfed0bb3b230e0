"""Checks every registered distribution against torch: shapes, sampling contract, expand."""
import numpy as np
import pytest

from registry import CASES, SAMPLE_SHAPES

ids = [c[0] for c in CASES]


def _implemented(torch_fn, nd_fn):
    """False where torch does not implement a quantity (RelaxedOneHotCategorical's mean,
    variance, entropy); numdist must then not implement it either."""
    try:
        torch_fn()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            nd_fn()
        return False
    return True


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_batch_and_event_shape_match_torch(case, torch):
    d, td = case[1](torch)
    assert d.batch_shape == tuple(td.batch_shape)
    assert d.event_shape == tuple(td.event_shape)
    assert d.has_rsample == td.has_rsample


@pytest.mark.parametrize("sample_shape", SAMPLE_SHAPES)
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_sample_shape_matches_torch(case, sample_shape, torch):
    d, td = case[1](torch)
    x = d.sample(sample_shape, rng=0)
    tshape = (sample_shape,) if isinstance(sample_shape, int) else sample_shape
    assert x.shape == tuple(td.sample(tshape).shape)
    lp = d.log_prob(x)
    assert lp.shape == tuple(td.log_prob(torch.as_tensor(x)).shape)
    np.testing.assert_allclose(lp, td.log_prob(torch.as_tensor(x)).numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_sample_equals_rsample_for_same_rng(case, torch):
    d, _ = case[1](torch)
    if not d.has_rsample:
        with pytest.raises(NotImplementedError):
            d.rsample((7,), rng=0)
        return
    a = d.sample((7,), rng=np.random.Generator(np.random.PCG64(3)))
    b = d.rsample((7,), rng=np.random.Generator(np.random.PCG64(3)))
    c, _ = d.rsample_vjp((7,), rng=np.random.Generator(np.random.PCG64(3)))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_entropy_matches_torch(case, torch):
    d, td = case[1](torch)
    if not _implemented(td.entropy, d.entropy):
        return  # torch has no entropy here, and numdist raised NotImplementedError too
    np.testing.assert_allclose(d.entropy(), td.entropy().numpy(), rtol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_expand_matches_torch_and_makes_views(case, torch):
    d, td = case[1](torch)
    new_batch = (2,) + d.batch_shape
    e, te = d.expand(new_batch), td.expand(new_batch)
    assert e.batch_shape == tuple(te.batch_shape) and e.event_shape == tuple(te.event_shape)
    assert e.sample((3,), rng=0).shape == (3,) + tuple(te.batch_shape) + tuple(te.event_shape)
    if _implemented(te.entropy, e.entropy):
        np.testing.assert_allclose(e.entropy(), te.entropy().numpy(), rtol=1e-12)
    if d.batch_shape and d.batch_shape[-1] != 1:
        with pytest.raises(ValueError, match="expand"):
            d.expand(d.batch_shape[:-1] + (d.batch_shape[-1] + 1,))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_mean_variance_match_torch(case, torch):
    d, td = case[1](torch)
    if not (_implemented(lambda: td.mean, lambda: d.mean) & _implemented(lambda: td.variance, lambda: d.variance)):
        return  # as for entropy: both raise NotImplementedError
    np.testing.assert_allclose(d.mean, td.mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.variance, td.variance.numpy(), rtol=1e-12)
    np.testing.assert_allclose(d.stddev, td.stddev.numpy(), rtol=1e-12)
