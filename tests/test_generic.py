"""Every registered distribution against torch: shapes, sampling contract, expand, and
values (log_prob, cdf, icdf, entropy, mean, mode, variance, stddev) to 1e-12 in float64.

A quantity torch does not implement must raise NotImplementedError in numdist too."""
import numpy as np
import pytest

from registry import CASES, SAMPLE_SHAPES

ids = [c.id for c in CASES]
cases = pytest.mark.parametrize("case", CASES, ids=ids)


def _implemented(torch_fn, nd_fn, beyond_torch=False):
    """False where torch does not implement a quantity (RelaxedOneHotCategorical's mean,
    variance, entropy); numdist must then not implement it either, unless the registry
    entry lists it in ``beyond_torch`` (checked against scipy in the family's tests)."""
    try:
        torch_fn()
    except NotImplementedError:
        if beyond_torch:
            nd_fn()  # implemented, and runs
        else:
            with pytest.raises(NotImplementedError):
                nd_fn()
        return False
    return True


def _torch_value(torch, x):
    """``x`` as torch sees its own samples: integer-valued families (Poisson, ...) draw floats in
    torch, whose log_prob of an int64 tensor computes lgamma in float32."""
    x = np.asarray(x)
    return torch.as_tensor(x.astype(np.float64) if x.dtype.kind in "iu" else x)


def _close(case, actual, expected):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=case.rtol, atol=case.atol)


@cases
def test_batch_and_event_shape_match_torch(case, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    assert d.batch_shape == tuple(td.batch_shape)
    assert d.event_shape == tuple(td.event_shape)
    assert d.has_rsample == td.has_rsample


@cases
def test_support_discreteness_matches_torch(case, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    assert d.support.is_discrete == td.support.is_discrete
    assert d.support.event_dim == td.support.event_dim
    x = d.sample((3,), rng=0)
    assert np.all(d.support.check(x))
    assert bool(td.support.check(torch.as_tensor(x)).all())


@pytest.mark.parametrize("sample_shape", SAMPLE_SHAPES)
@cases
def test_sample_shape_matches_torch(case, sample_shape, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    x = d.sample(sample_shape, rng=0)
    tshape = (sample_shape,) if isinstance(sample_shape, int) else sample_shape
    assert x.shape == tuple(td.sample(tshape).shape)
    lp = d.log_prob(x)
    _close(case, lp, td.log_prob(_torch_value(torch, x)).numpy())


@cases
def test_sample_equals_rsample_for_same_rng(case, torch):
    d = case.nd()
    if not d.has_rsample:
        with pytest.raises(NotImplementedError):
            d.rsample((7,), rng=0)
        with pytest.raises(NotImplementedError):
            d.rsample_vjp((7,), rng=0)
        return
    a = d.sample((7,), rng=np.random.Generator(np.random.PCG64(3)))
    b = d.rsample((7,), rng=np.random.Generator(np.random.PCG64(3)))
    c, _ = d.rsample_vjp((7,), rng=np.random.Generator(np.random.PCG64(3)))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


@cases
def test_entropy_matches_torch(case, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    if not _implemented(td.entropy, d.entropy):
        return  # torch has no entropy here, and numdist raised NotImplementedError too
    _close(case, d.entropy(), td.entropy().numpy())


@pytest.mark.parametrize("quantity", ["mean", "mode", "variance", "stddev"])
@cases
def test_moments_match_torch(case, quantity, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    if not _implemented(lambda: getattr(td, quantity), lambda: getattr(d, quantity)):
        return  # both raise NotImplementedError
    expected = getattr(td, quantity).numpy()
    actual = np.asarray(getattr(d, quantity))
    _close(case, actual, expected)
    if quantity == "mode" and case.int_samples:
        assert actual.dtype == np.int64


@cases
def test_cdf_matches_torch(case, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    x = d.sample((4,), rng=1)
    if not _implemented(lambda: td.cdf(torch.as_tensor(x)), lambda: d.cdf(x), "cdf" in case.beyond_torch):
        return
    _close(case, d.cdf(x), td.cdf(torch.as_tensor(x)).numpy())


@cases
def test_icdf_matches_torch(case, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    q = np.linspace(0.01, 0.99, 9).reshape((9,) + (1,) * len(d.batch_shape))
    q = np.broadcast_to(q, (9,) + d.batch_shape).copy()
    if not _implemented(lambda: td.icdf(torch.as_tensor(q)), lambda: d.icdf(q)):
        return
    x = d.icdf(q)
    _close(case, x, td.icdf(torch.as_tensor(q)).numpy())
    if _implemented(lambda: td.cdf(torch.as_tensor(x)), lambda: d.cdf(x), "cdf" in case.beyond_torch):
        np.testing.assert_allclose(d.cdf(x), q, rtol=1e-10)


@cases
def test_expand_matches_torch_and_makes_views(case, torch):
    d, (td, _) = case.nd(), case.torch(torch)
    new_batch = (2,) + d.batch_shape
    e, te = d.expand(new_batch), td.expand(new_batch)
    assert type(e) is type(d)
    # no copies (checked before anything lazy is computed on e): every array of the expanded distribution is one of the original's
    # arrays or a view of one
    originals = [v for v in vars(d).values() if isinstance(v, np.ndarray)]
    for k, v in vars(e).items():
        if isinstance(v, np.ndarray) and v.size > 1:
            assert any(v is o or np.shares_memory(v, o) for o in originals), f"expand copied {k}"
    assert e.batch_shape == tuple(te.batch_shape) and e.event_shape == tuple(te.event_shape)
    x = e.sample((3,), rng=0)
    assert x.shape == (3,) + tuple(te.batch_shape) + tuple(te.event_shape)
    _close(case, e.log_prob(x), te.log_prob(_torch_value(torch, x)).numpy())
    if _implemented(te.entropy, e.entropy):
        _close(case, e.entropy(), te.entropy().numpy())
    if _implemented(lambda: te.mean, lambda: e.mean):
        _close(case, e.mean, te.mean.numpy())
    if d.batch_shape and d.batch_shape[-1] != 1:
        with pytest.raises(ValueError, match="expand"):
            d.expand(d.batch_shape[:-1] + (d.batch_shape[-1] + 1,))


def test_registry_xfail_keys_name_generic_tests():
    """A typo in ``Case.xfail`` would silently not apply: every key must be a test here."""
    import pathlib
    import re

    here = pathlib.Path(__file__).parent
    names = set()
    for f in here.glob("test_generic*.py"):
        names |= set(re.findall(r"^def (test_\w+)\(", f.read_text(), re.M))
    for c in CASES:
        assert set(c.xfail) <= names, (c.id, set(c.xfail) - names)
