"""Drop-in functional samplers: ``numpy.random.Generator`` signatures plus ``rng=``.

``size`` is the output shape without event dims, parameters broadcast against
it, and ``out=`` may be any writeable strided view of the right dtype and shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import _mvn, constraints
from numdist._layout import param_layout as _param_layout
from numdist._layout import prod as _prod
from numdist._mvn_linalg import _check_shapes, _draw, _factor, _not_pd_error
from numdist._rng import Xoshiro256x8
from numdist.alias import categorical
from numdist.beta import beta
from numdist.cauchy import standard_cauchy
from numdist.chi2 import chisquare
from numdist.dirichlet import dirichlet
from numdist.exponential import exponential, standard_exponential
from numdist.gamma import gamma, standard_gamma
from numdist.geometric import geometric
from numdist.gumbel import gumbel
from numdist.laplace import laplace
from numdist.log_normal import lognormal
from numdist.weibull import weibull
from numdist.negative_binomial import negative_binomial
from numdist.poisson import poisson
from numdist.sampling import float_dtype, functional
from numdist.student_t import standard_t
from numdist.uniform import uniform
from numdist.constraints import validate
from numdist.utils import aligned, as_float_params, check_out, copy_if_overlaps, functional_out_shape

__all__ = ["standard_normal", "normal", "multivariate_normal", "categorical", "uniform", "standard_exponential",
           "exponential", "laplace", "gumbel", "standard_cauchy", "geometric", "standard_gamma", "gamma", "beta",
           "dirichlet", "chisquare", "standard_t", "Xoshiro256x8", "default_rng"]
__all__ += ["lognormal", "weibull"]
__all__ += ["poisson", "negative_binomial"]

_NORMAL_KERNELS = {"ziggurat": "normal", "box_muller": "normal_box_muller"}
_METHODS = tuple(_NORMAL_KERNELS)


def default_rng(seed: Any = None) -> np.random.Generator:
    """A ``numpy.random.Generator`` over numdist's :class:`Xoshiro256x8`.

    Examples
    --------
    >>> import numdist as nd
    >>> g = nd.random.default_rng(1)
    >>> type(g.bit_generator).__name__
    'Xoshiro256x8'
    """
    return np.random.Generator(Xoshiro256x8(seed))


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return method


def standard_normal(size: Any = None, dtype: Any = np.float64, out: np.ndarray | None = None, *,
                    rng: Any = None, method: str = "ziggurat") -> Any:
    """Standard normal draws, as ``numpy.random.Generator.standard_normal``.

    Parameters
    ----------
    size : int or tuple of ints, optional
        Output shape; None gives one float (or ``out.shape`` when ``out`` is given).
    dtype : {float64, float32}
    out : ndarray, optional
        Written in place; any strides (including negative) are fine.
    rng : None, int, SeedSequence, BitGenerator or Generator
        None uses numdist's global generator (see :func:`numdist.manual_seed`).
    method : {"ziggurat", "box_muller"}
        256-layer ziggurat with exact tails, or Box-Muller with 53-bit uniforms.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> nd.random.standard_normal((2, 3), rng=0).shape
    (2, 3)
    >>> buf = np.empty(5, dtype=np.float32)
    >>> _ = nd.random.standard_normal(out=buf, dtype=np.float32, rng=0)
    """
    return functional(_NORMAL_KERNELS[_check_method(method)], "standard_normal", {}, size, float_dtype(dtype), out, rng)


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, *, dtype: Any = None,
           out: np.ndarray | None = None, rng: Any = None, method: str = "ziggurat") -> Any:
    """Normal draws ``loc + scale * z``, as ``numpy.random.Generator.normal``.

    ``loc`` and ``scale`` broadcast against ``size``; ``scale`` must be
    non-negative and both finite (ValueError naming the parameter and index).
    The dtype follows the parameters (float32 stays float32) unless given.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> x = nd.random.normal(np.arange(3.0), 0.1, size=(1000, 3), rng=0)
    >>> x.shape, bool(abs(x.mean(0) - np.arange(3)).max() < 0.05)
    ((1000, 3), True)
    """
    return functional(_NORMAL_KERNELS[_check_method(method)], "normal",
                      {"loc": (loc, constraints.finite), "scale": (scale, constraints.nonnegative_finite)},
                      size, dtype, out, rng)


_MVN = "random.multivariate_normal"


def multivariate_normal(mean: Any, cov: Any, size: Any = None, *, dtype: Any = None,
                        out: np.ndarray | None = None, rng: Any = None) -> np.ndarray:
    """Multivariate normal draws, as ``numpy.random.Generator.multivariate_normal``
    (``method="cholesky"``), batched over means and covariances.

    Parameters
    ----------
    mean : array_like, shape (..., d)
        Means; finite.
    cov : array_like, shape (..., d, d)
        Symmetric positive definite covariances (one per batch element, or one
        for all). ``mean.shape[:-1]`` and ``cov.shape[:-2]`` broadcast together.
    size : int or tuple of ints, optional
        Output shape without the event dimension, as in NumPy: the result has
        shape ``size + (d,)`` and the batch shape of the parameters must
        broadcast to ``size``. None: the parameters' batch shape (or
        ``out.shape[:-1]``).
    dtype : {None, float32, float64}
        Default: the parameters' dtype (float32 stays float32, integers become
        float64).
    out : ndarray, optional
        Written in place, any strides. A wrong dtype (TypeError), shape or a
        read-only array (ValueError) is refused before anything is written, and
        so is a bad covariance.
    rng : None, int, SeedSequence, BitGenerator or Generator
        SPEC 7 random source; None uses numdist's global generator.

    Returns
    -------
    ndarray, shape size + (d,)

    Raises
    ------
    ValueError
        ``mean`` with NaN or inf, ``cov`` not symmetric or not positive definite
        (the message names the parameter, the batch index and, for a failed
        Cholesky factorisation, the column), mismatched ``d``, shapes that do
        not broadcast.

    Notes
    -----
    Each covariance is factorised once (``L = chol(cov)``, by a batched C kernel)
    and ``mean + L @ eps`` is drawn with ``eps`` standard normal; when every
    covariance gets exactly one draw, factorisation and draw are fused in one
    pass. The same seed gives the same numbers as
    ``MultivariateNormal(mean, cov).sample(...)`` with the same shapes, and the
    same numbers whatever the thread count.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    >>> x = nd.random.multivariate_normal([0.0, 1.0], cov, size=100_000, rng=0)
    >>> x.shape, np.round(np.cov(x.T), 1).tolist()
    ((100000, 2), [[1.0, 0.8], [0.8, 1.0]])

    A thousand different covariances, one draw each (NumPy cannot batch these):

    >>> covs = np.eye(3) * np.linspace(1, 2, 1000)[:, None, None]
    >>> nd.random.multivariate_normal(np.zeros(3), covs, rng=0).shape
    (1000, 3)
    >>> nd.random.multivariate_normal(np.zeros(3), covs, size=(5, 1000), rng=0).shape
    (5, 1000, 3)
    """
    pdtype, p = as_float_params(mean=mean, cov=cov)
    dt = pdtype if dtype is None else float_dtype(dtype)
    m, c = p["mean"].astype(dt, copy=False), p["cov"].astype(dt, copy=False)
    bshape = _check_shapes("mean", m, "cov", c)
    d = c.shape[-1]
    shape = functional_out_shape(bshape, size, out, 1,
                                 f"mean {m.shape} and cov {c.shape} (batch shape {bshape})", event_shape=(d,))
    if out is not None:
        check_out(out, shape + (d,), dt)
        # an input overlapping out= is read before any write (NumPy's ufunc rule); the
        # kernel writes a vector while later ones still read their mean, so even
        # out= being exactly mean is copied
        m, c = copy_if_overlaps(m, out), copy_if_overlaps(c, out)
    m, c = aligned(m), aligned(c)
    validate("mean", m, constraints.real_vector, where=_MVN)
    validate("cov", c, constraints.positive_definite, where=_MVN)
    cb = c.shape[:-2]
    if out is None and (1,) * (len(shape) - len(cb)) + cb == shape:
        # every covariance gets exactly one draw: factorise and draw in one pass
        B = _prod(shape)
        res = np.empty(shape + (d,), dtype=dt)
        o2 = res.reshape(B, d)
        fb, fc = _mvn.cov_draw(rng, o2, _param_layout(m, shape, 1), _param_layout(c, shape, 2))
        if fb >= 0:
            raise _not_pd_error("cov", c, fb, fc, _MVN)
        return res
    L = _factor("cov", c, _MVN)
    return _draw(rng, shape, m, L, out=out)[0]
