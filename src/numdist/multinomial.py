"""Multinomial distribution: counts of ``total_count`` draws over K categories."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import operator
from types import SimpleNamespace
from typing import Any

import numpy as np

from numdist import _multinomial, constraints, vjp
from numdist.binomial import MAX_TOTAL_COUNT, Binomial
from numdist.distribution import Distribution
from numdist.utils import (aligned, as_float_params, check_out, first_bad_index, functional_out_shape, lazy_property,
                           logits_to_probs, logsumexp, probs_to_logits)

__all__ = ["Multinomial", "multinomial"]


class _MultinomialSupport(constraints.Constraint):
    """Non-negative integer counts summing to at most ``upper_bound`` (torch's
    ``constraints.multinomial``: it checks ``sum <= total_count``, not ``==``)."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: int) -> None:
        self.upper_bound = upper_bound

    def check(self, value: np.ndarray) -> Any:
        with np.errstate(invalid="ignore"):
            return np.all((value >= 0) & (value % 1 == 0), axis=-1) & (value.sum(-1) <= self.upper_bound)

    def __repr__(self) -> str:
        return f"Multinomial(upper_bound={self.upper_bound})"


class Multinomial(Distribution):
    """Counts of ``total_count`` independent draws over the K categories of the last
    axis of ``probs`` / ``logits`` (shape ``batch_shape + (K,)``), as
    ``torch.distributions.Multinomial``: ``total_count`` is one integer (default 1),
    ``probs`` are normalised by their sum and ``logits`` by ``logsumexp``.

    Samples are int64 (NumPy's convention; torch returns floats), drawn by K - 1
    conditional binomials per row: O(K) work whatever ``total_count`` (up to 2^62),
    where torch draws ``total_count`` categorical samples. ``log_prob`` accepts
    integers or integer-valued floats and, as torch, any counts summing to at most
    ``total_count`` (it uses their sum).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Multinomial(100, probs=np.array([[1.0, 1.0, 2.0], [0.1, 0.2, 0.7]]))
    >>> x = d.sample((5,), rng=0)
    >>> x.shape, x.dtype, bool((x.sum(-1) == 100).all())
    ((5, 2, 3), dtype('int64'), True)
    >>> d.mean
    array([[25., 25., 50.],
           [10., 20., 70.]])
    >>> int(nd.Multinomial(10**9, logits=np.zeros(100)).sample(rng=0).sum())
    1000000000
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    # validated as given, before the normalisation
    _param_constraints = {"probs": constraints.unnormalized_simplex, "logits": constraints.logits_vector}
    total_count: int

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if isinstance(total_count, bool) or not isinstance(total_count, (int, np.integer)):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        value = probs if probs is not None else logits
        dtype, p = as_float_params(**{name: value})
        if p[name].ndim < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        if p[name].shape[-1] == 0:
            raise ValueError(f"`{name}` must have at least one category (K = 0 given)")
        batch_shape = self._record_params({name: value}, p, dtype, event_dims={name: 1})
        self.total_count = operator.index(total_count)
        self._param_name = name
        self._raw: np.ndarray = getattr(self, name)
        super().__init__(batch_shape, p[name].shape[-1:], validate_args=validate_args)  # validates _raw
        if self._validate_args and not 0 <= self.total_count <= MAX_TOTAL_COUNT:
            raise ValueError(f"Expected parameter total_count of distribution Multinomial to be an integer in "
                             f"[0, 2**62], but total_count at batch index () is {self.total_count}")
        with np.errstate(invalid="ignore", divide="ignore"):
            if name == "probs":
                self.probs = self._raw / self._raw.sum(-1, keepdims=True)
            else:
                self.logits = self._raw - logsumexp(self._raw, keepdims=True)

    def _validation_values(self) -> dict[str, Any]:
        # the parameter as given (before the normalisation): validated, and the leaf of the VJPs
        return {self._param_name: self._raw}

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Multinomial":
        new = super().expand(batch_shape, _instance)
        new._raw = np.broadcast_to(self._raw, new.batch_shape + self._event_shape)
        return new

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return _MultinomialSupport(self.total_count)

    @lazy_property
    def logits(self) -> np.ndarray:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> np.ndarray:
        return logits_to_probs(self.logits)

    def _vjp_namespace(self, leaves: dict[str, Any]) -> Any:
        """probs and logits of the formulas, built from the given leaf through torch's
        normalisation (``probs / sum``, or ``logits - logsumexp``)."""
        if "probs" in leaves:
            probs = leaves["probs"] / leaves["probs"].sum(-1, keepdims=True)
            eps = float(np.finfo(vjp.value_of(probs).dtype).eps)
            logits = np.log(vjp.clip(probs, eps, 1 - eps))
        else:
            logits = leaves["logits"] - vjp.logsumexp(leaves["logits"], keepdims=True)
            probs = np.exp(logits - vjp.logsumexp(logits, keepdims=True))  # as logits_to_probs
        return SimpleNamespace(probs=probs, logits=logits, total_count=self.total_count)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._batch_shape + self._event_shape

    @property
    def mean(self) -> np.ndarray:
        return self.probs * self.total_count

    @property
    def variance(self) -> np.ndarray:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """int64 counts of shape ``sample_shape + batch_shape + (K,)``, each row summing to
        ``total_count`` exactly; K - 1 conditional binomials per row. With
        ``validate_args=False`` a row of invalid probabilities gives K counts of -1."""
        shape = self._extended_shape(sample_shape)
        out = np.empty(shape, dtype=np.int64)
        probs = aligned(np.ascontiguousarray(self.probs))
        n = np.broadcast_to(np.array(self.total_count, dtype=np.int64), shape)
        _multinomial.multinomial_fill(rng, out, n, np.broadcast_to(probs, shape))
        return out

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        logits = p.logits
        masked = (vjp.value_of(value) == 0) & (vjp.value_of(logits) == -np.inf)
        if np.any(masked):  # 0 * log(0) := 0, as torch
            logits = vjp.where(masked, 0.0, logits)
        return vjp.lgamma(value.sum(-1) + 1) - vjp.lgamma(value + 1).sum(-1) + (logits * value).sum(-1)

    @staticmethod
    def _entropy(p: Any) -> Any:
        # torch's form: n H(categorical) - lgamma(n + 1) + sum_k sum_j Bin(k; n, p_j) lgamma(k + 1)
        n = p.total_count
        dtype = vjp.value_of(p.probs).dtype
        min_real = float(np.finfo(dtype).min)
        cat_entropy = -(vjp.clip(p.logits, min_real, np.inf) * p.probs).sum(-1)
        term1 = n * cat_entropy - float(vjp.lgamma(np.array(n + 1.0)))
        ndim = np.ndim(vjp.value_of(p.probs))
        support = np.arange(1, n + 1, dtype=dtype).reshape((-1,) + (1,) * ndim)
        if n > 10**7:
            raise ValueError(f"entropy sums over the whole support (as torch does): total_count {n} is above 1e7")
        binom = SimpleNamespace(total_count=np.asarray(n, dtype=dtype), logits=_binary_logits(p.probs))
        weights = vjp.lgamma(support + 1)
        term2 = (np.exp(Binomial._log_prob(binom, support)) * weights).sum(0).sum(-1)
        return term1 + term2


def _binary_logits(probs: Any) -> Any:
    from numdist.bernoulli import binary_logits

    return binary_logits(probs)


def multinomial(n: Any, pvals: Any, size: Any = None, *, out: np.ndarray | None = None, rng: Any = None) -> np.ndarray:
    """Multinomial counts, as ``numpy.random.Generator.multinomial`` plus ``out=`` and
    ``rng=``; int64. ``n`` (integers up to 2^62) broadcasts against the rows of
    ``pvals`` (``(..., K)``) and ``size`` (the output shape without the last dim). As
    NumPy, each row's last probability is taken as ``1 - sum(pvals[..., :-1])``
    (which must not exceed 1); every entry must lie in [0, 1]. O(K) work per row.

    Examples
    --------
    >>> import numdist as nd
    >>> x = nd.random.multinomial([10, 10**12], [[0.2, 0.8], [0.5, 0.5]], rng=0)
    >>> x.dtype, x.sum(-1).tolist()
    (dtype('int64'), [10, 1000000000000])
    """
    where = "random.multinomial"
    _, pa = as_float_params(pvals=pvals)
    p = pa["pvals"]
    if p.ndim < 1:
        raise ValueError("pvals must be at least one-dimensional, (..., K)")
    if p.shape[-1] == 0:
        raise ValueError("pvals must have at least one category (K = 0 given)")
    narr = np.asarray(n)
    if narr.dtype.kind not in "biuf":
        raise TypeError(f"n must be an integer or array of integers, got dtype {narr.dtype}")
    constraints.validate("n", narr, constraints.integer_interval(0, MAX_TOTAL_COUNT), where=where)
    constraints.validate("pvals", p, constraints.independent(constraints.unit_interval, 1), where=where)
    head = p[..., :-1].sum(-1, dtype=np.float64) if p.shape[-1] > 1 else np.zeros(p.shape[:-1])
    ok = head <= 1.0 + 1e-12
    if not np.all(ok):
        index = first_bad_index(np.asarray(ok))
        raise ValueError(f"Expected parameter pvals (ndarray of shape {p.shape}) of {where} to have "
                         f"sum(pvals[..., :-1]) <= 1, but pvals at batch index {index} sums to "
                         f"{float(np.asarray(head)[index])!r} over its first K - 1 entries")
    rows = np.array(p, dtype=p.dtype)  # NumPy's rule: the last category takes what is left
    rows[..., -1] = np.maximum(0.0, 1.0 - head)
    try:
        bshape = np.broadcast_shapes(narr.shape, rows.shape[:-1])
    except ValueError:
        raise ValueError(f"shape mismatch: n {narr.shape} and pvals {p.shape} do not broadcast together") from None
    shape = functional_out_shape(bshape, size, out, 1, f"n {narr.shape} and pvals {p.shape}")
    full = shape + rows.shape[-1:]
    if out is not None:
        check_out(out, full, np.dtype(np.int64))
    target = out if out is not None and out.flags.aligned else np.empty(full, np.int64)
    counts = np.array(narr, dtype=np.int64)  # a copy: n may share memory with out=
    _multinomial.multinomial_fill(rng, target, np.broadcast_to(counts[..., None], full), np.broadcast_to(rows, full))
    if out is not None and target is not out:
        out[...] = target
        return out
    return target
