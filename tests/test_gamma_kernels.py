"""The gamma-family kernels through their bindings: the element-wise entries
(standard_gamma, log_standard_gamma, chisquare, standard_t, beta) via
``_elementwise.fill`` and the Dirichlet rows via ``_dirichlet.dirichlet_fill``.
The C tests (csrc/tests/test_gamma.c) check the laws and stream rules; these
check the Python-facing contract: dtypes, chunking, thread invariance, misuse."""
import numpy as np
import pytest

import numdist as nd
from numdist import _dirichlet, _elementwise

GAMMA_KERNELS = {"standard_gamma": 1, "log_standard_gamma": 1, "chisquare": 1, "standard_t": 1, "beta": 2}


def test_table_entries():
    names = _elementwise.kernel_names()
    for name, npar in GAMMA_KERNELS.items():
        assert name in names
        assert _elementwise.kernel_info(name) == (npar, False)


@pytest.mark.parametrize("name", sorted(GAMMA_KERNELS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_thread_invariant_and_dtype(name, dtype):
    shape = (3, 70000)  # several chunks of ND_CHUNK_ELEMS
    params = [np.broadcast_to(np.asarray(p, dtype), shape) for p in ((0.7, 2.5)[: GAMMA_KERNELS[name]])]
    old = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        a = _elementwise.fill(name, 5, np.empty(shape, dtype), *params)
        nd.set_num_threads(2)
        b = _elementwise.fill(name, 5, np.empty(shape, dtype), *params)
    finally:
        nd.set_num_threads(old)
    assert a.dtype == dtype
    np.testing.assert_array_equal(a, b)
    assert np.isfinite(a).all()


def test_beta_small_concentrations():
    x = _elementwise.fill("beta", 1, np.empty(400000), np.full(400000, 1e-3), np.full(400000, 1e-3))
    assert ((x >= 0) & (x <= 1)).all()
    assert abs((x < 0.5).mean() - 0.5) < 5 * 0.5 / np.sqrt(x.size)


def test_log_standard_gamma_tiny():
    a = 1e-6
    x = _elementwise.fill("log_standard_gamma", 2, np.empty(200000), np.full(200000, a))
    assert np.isfinite(x).all()
    # E log G(a) = digamma(a) = -1/a - euler_gamma + O(a); sd of log G ~ 1/a
    assert abs(x.mean() - (-1 / a - 0.5772156649015329)) < 5 / a / np.sqrt(x.size)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dirichlet_fill(dtype):
    alpha = np.array([0.5, 1.0, 2.0, 4.0], dtype)
    out = np.empty((40000, 2, 4), dtype)
    _dirichlet.dirichlet_fill(3, out, np.broadcast_to(alpha, out.shape))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.sum(-1), 1, rtol=0, atol=1e-6 if dtype == np.float32 else 1e-14)
    m = alpha / alpha.sum()
    sd = np.sqrt(m * (1 - m) / (alpha.sum() + 1) / (out.size // 4))
    assert (abs(out.reshape(-1, 4).mean(0) - m) < 5 * sd).all()


def test_dirichlet_small_concentrations():
    out = _dirichlet.dirichlet_fill(4, np.empty((200000, 5)), np.full((200000, 5), 2e-3))
    assert not np.isnan(out).any()
    np.testing.assert_allclose(out.sum(-1), 1, atol=1e-14)
    sd = np.sqrt(0.2 * 0.8 / 1.01 / out.shape[0])
    assert (abs(out.mean(0) - 0.2) < 5 * sd).all()


def test_dirichlet_chunks_and_layouts():
    K = 7
    assert _dirichlet.rows_per_chunk(K) == 65536 // K
    assert _dirichlet.rows_per_chunk(10**6) == 1
    alpha = np.broadcast_to(np.linspace(0.3, 3, K), (30000, K))
    old = nd.get_num_threads()
    try:
        nd.set_num_threads(1)
        a = _dirichlet.dirichlet_fill(9, np.empty((30000, K)), alpha)
        nd.set_num_threads(2)
        b = _dirichlet.dirichlet_fill(9, np.empty((30000, K)), np.ascontiguousarray(alpha))
        c = np.empty((K, 30000)).T
        _dirichlet.dirichlet_fill(9, c, alpha)
        d = np.empty((30000, 2 * K))[:, ::2]
        _dirichlet.dirichlet_fill(9, d, alpha)
        e = np.empty((100, 600, K))[:, ::2].reshape(100, 300, K)  # uneven rows
        _dirichlet.dirichlet_fill(9, e, alpha.reshape(100, 300, K))
    finally:
        nd.set_num_threads(old)
    for x in (b, c, d, e.reshape(-1, K)):
        np.testing.assert_array_equal(a, x)


def test_dirichlet_misuse():
    out = np.empty((3, 4))
    with pytest.raises(ValueError):
        _dirichlet.dirichlet_fill(1, out, np.ones((3, 4), np.float32))
    with pytest.raises(ValueError):
        _dirichlet.dirichlet_fill(1, out, np.ones((3, 5)))
    with pytest.raises(ValueError):
        _dirichlet.dirichlet_fill(1, out, out)
    ro = np.empty((3, 4))
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        _dirichlet.dirichlet_fill(1, ro, np.ones((3, 4)))
    assert _dirichlet.dirichlet_fill(1, np.empty((0, 4)), np.ones((0, 4))).shape == (0, 4)
    bad = np.ones((2, 3))
    bad[1, 1] = -1.0
    x = _dirichlet.dirichlet_fill(1, np.empty((2, 3)), bad)
    assert np.isnan(x[1]).all() and np.isfinite(x[0]).all()
