"""Binomial distribution: successes in ``total_count`` trials, from ``probs`` or ``logits``."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.bernoulli import binary_logits, binary_probs, probs_or_logits_namespace
from numdist.distribution import Distribution
from numdist.poisson import Poisson
from numdist.sampling import functional
from numdist.utils import first_bad_index, lazy_property

__all__ = ["Binomial", "binomial"]

#: Largest total_count the samplers take (int64 counts; csrc/include/numdist/binomial.h).
MAX_TOTAL_COUNT = 2**62
# entropy and enumerate_support list the whole support, as torch does
_MAX_ENUMERATE = 10**7


class Binomial(Distribution):
    """Number of successes in ``total_count`` independent trials of probability
    ``probs`` (or log-odds ``logits``), as ``torch.distributions.Binomial``.

    ``total_count`` (default 1, a non-negative integer, any shape broadcasting with
    ``probs``/``logits``) is not differentiated; it takes the float dtype of the
    probabilities, as torch's ``type_as`` (float32 parameters hold counts exactly up
    to 2^24: use float64 probabilities for larger counts). The other
    parameterisation is computed lazily as for :class:`numdist.Bernoulli`.

    Samples are int64 (NumPy's convention; torch returns floats), drawn in time
    independent of ``total_count`` (inversion below ``n q = 10``, BTRS above) for
    counts up to 2^62; ``log_prob`` accepts integers or integer-valued floats.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Binomial(total_count=np.array([[5.0], [10.0]]), probs=np.array([0.5, 0.8]))
    >>> x = d.sample((3,), rng=0)
    >>> x.shape, x.dtype
    ((3, 2, 2), dtype('int64'))
    >>> d.mean
    array([[2.5, 4. ],
           [5. , 8. ]])
    >>> big = nd.Binomial(total_count=1e12, probs=0.3).sample((4,), rng=0)
    >>> bool(np.all(np.abs(big - 3e11) < 1e7))
    True
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True
    _kernel = ("binomial", ("total_count", "probs"))
    total_count: np.ndarray

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        dtype, batch_shape = self._init_params(**{name: probs if probs is not None else logits})
        count = _as_count(total_count, dtype)
        try:
            full = tuple(np.broadcast_shapes(count.shape, batch_shape))
        except ValueError:
            raise ValueError(f"total_count with shape {count.shape} and {name} with shape "
                             f"{getattr(self, name).shape} do not broadcast together") from None
        if full != batch_shape:
            setattr(self, name, np.broadcast_to(getattr(self, name), full))
        self.total_count = np.broadcast_to(count, full)
        super().__init__(full, validate_args=validate_args)
        if self._validate_args:
            constraints.validate("total_count", self.total_count, constraints.nonnegative_integer,
                                 where="distribution Binomial")

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Binomial":
        new = super().expand(batch_shape, _instance)
        new.total_count = np.broadcast_to(self.total_count, new.batch_shape)
        return new

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.integer_interval(0, self.total_count)

    @lazy_property
    def logits(self) -> np.ndarray:
        return binary_logits(self.probs)

    @lazy_property
    def probs(self) -> np.ndarray:
        return binary_probs(self.logits)

    def _vjp_namespace(self, leaves: dict[str, Any]) -> Any:
        ns = probs_or_logits_namespace(leaves)
        ns.total_count = self.total_count  # a constant: not differentiated
        return ns

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self.batch_shape

    @property
    def mean(self) -> np.ndarray:
        return self.total_count * self.probs

    @property
    def mode(self) -> np.ndarray:
        """``floor((total_count + 1) probs)`` clamped to ``total_count``, int64 like the samples."""
        with np.errstate(invalid="ignore"):
            m = np.minimum(np.floor((self.total_count + 1) * self.probs), self.total_count)
        return np.where(np.isfinite(m), m, -1).astype(np.int64)

    @property
    def variance(self) -> np.ndarray:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """int64 counts of shape ``sample_shape + batch_shape``; no work proportional to
        ``total_count`` (up to 2^62). With ``validate_args=False`` an invalid count or
        probability gives -1 (csrc/include/numdist/binomial.h)."""
        if self._validate_args:
            _check_max_count("total_count", self.total_count, "distribution Binomial")
        return self._draw_elementwise(sample_shape, rng)

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        # torch's form: k logit - n max(logit, 0) - n log1p(exp(-|logit|)) + log C(n, k)
        n, logits = p.total_count, p.logits
        clamp0 = (vjp.clip(logits, 0.0, np.inf) + logits - vjp.clip(logits, -np.inf, 0.0)) / 2
        normalize = n * clamp0 + n * np.log1p(np.exp(-np.abs(logits))) - vjp.lgamma(n + 1)
        return value * logits - vjp.lgamma(value + 1) - vjp.lgamma(n - value + 1) - normalize

    @staticmethod
    def _entropy(p: Any) -> Any:
        # -sum_k f(k) log f(k) over the whole support, as torch (homogeneous total_count)
        values = _support_values(vjp.value_of(p.total_count), vjp.value_of(p.probs).dtype, "entropy")
        lp = Binomial._log_prob(p, values.astype(vjp.value_of(p.probs).dtype))
        return -(np.exp(lp) * lp).sum(0)

    def enumerate_support(self, expand: bool = True) -> np.ndarray:
        """``0, ..., total_count`` (int64, like the samples; torch gives floats) along a
        new leading axis; ``total_count`` must be the same for the whole batch."""
        values = _support_values(self.total_count, self.dtype, "enumerate_support")
        if expand:
            values = np.broadcast_to(values, values.shape[:1] + self.batch_shape)
        return values


def _as_count(total_count: Any, dtype: np.dtype) -> np.ndarray:
    if isinstance(total_count, (str, bytes)) or total_count is None:
        raise TypeError(f"total_count must be a real number or array of real numbers, got {type(total_count).__name__}")
    arr = np.asarray(total_count)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"total_count must be a real number or array of real numbers, got dtype {arr.dtype}")
    return arr.astype(dtype)


def _check_max_count(name: str, count: np.ndarray, where: str) -> None:
    with np.errstate(invalid="ignore"):
        ok = ~(count > MAX_TOTAL_COUNT)
    if not ok.all():
        index = first_bad_index(ok)
        raise ValueError(f"Expected parameter {name} (ndarray of shape {count.shape}) of {where} to be at most "
                         f"2**62 to be sampled, but {name} at batch index {index} is {count[index]!r}")


def _support_values(total_count: np.ndarray, dtype: Any, what: str) -> np.ndarray:
    tc = np.asarray(total_count)
    if tc.size == 0:
        top = 0
    else:
        top = tc.max()
        if tc.min() != top:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        if not np.isfinite(top) or top < 0 or top % 1 != 0:
            raise ValueError(f"{what} needs a non-negative integer total_count, got {top!r}")
        if top > _MAX_ENUMERATE:
            raise ValueError(f"{what} lists the whole support (as torch does): total_count {top!r} is "
                             f"above {_MAX_ENUMERATE}")
    values = np.arange(int(top) + 1, dtype=np.int64)
    return values.reshape((-1,) + (1,) * tc.ndim)


@vjp.register_kl_closed_form(Binomial, Binomial)
def _kl_binomial_binomial(p: Any, q: Any) -> Any:
    pn, qn = vjp.value_of(p.total_count), vjp.value_of(q.total_count)
    if np.any(pn < qn):
        raise NotImplementedError("KL between Binomials where q.total_count > p.total_count is not implemented")
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = p.total_count * (p.probs * (p.logits - q.logits) + np.log1p(-p.probs) - np.log1p(-q.probs))
    return vjp.where(np.broadcast_to(pn > qn, np.shape(vjp.value_of(kl))), np.inf, kl)


# a Poisson puts mass on counts above any total_count, as torch registers it
vjp.register_kl_closed_form(Poisson, Binomial)(vjp.infinite_kl("rate"))


def binomial(n: Any, p: Any, size: Any = None, *, out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Binomial draws, as ``numpy.random.Generator.binomial`` plus ``out=`` and ``rng=``;
    int64 counts. ``n`` (an integer up to 2^62, read as float64: exact up to 2^53) and
    ``p`` broadcast against each other and ``size``; no work proportional to ``n``.

    Examples
    --------
    >>> import numdist as nd
    >>> x = nd.random.binomial(10, [0.1, 0.9], size=(1000, 2), rng=0)
    >>> x.dtype, x.shape, bool(x.min() >= 0 and x.max() <= 10)
    (dtype('int64'), (1000, 2), True)
    """
    return functional("binomial", "binomial",
                      {"n": (n, constraints.integer_interval(0, MAX_TOTAL_COUNT)), "p": (p, constraints.unit_interval)},
                      size, np.float64, out, rng)
