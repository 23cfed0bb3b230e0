"""Categorical distribution over ``{0, ..., K-1}``, parameterised by ``probs`` or ``logits``."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from numdist import _fused, constraints
from numdist._layout import sb_layout
from numdist.distribution import VJP, Distribution
from numdist.kl import KLVJP, register_kl, register_kl_vjp
from numdist.utils import as_float_params, as_shape, check_size, first_bad_index, lazy_property, logits_to_probs, logsumexp, probs_to_logits

if TYPE_CHECKING:
    from numdist.alias import AliasTable

__all__ = ["Categorical"]

# Alias tables (16 bytes per category and row) are cached on the distribution up to
# this size; larger ones are built per call (same numbers, no lasting memory).
_TABLE_CACHE_BYTES = 256 << 20


class Categorical(Distribution):
    """Categorical distribution: samples are int64 indices into the last axis of
    ``probs`` / ``logits`` (shape ``batch_shape + (K,)``).

    ``probs`` are normalised as ``probs / probs.sum(-1)`` and ``logits`` as
    ``logits - logsumexp(logits)``; the other one is computed lazily
    (``softmax``, or ``log`` of probs clamped to ``[eps, 1 - eps]``), as in torch.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> raw = np.array([[[0.25, 0.25, 0.25, 0.25]], [[0.33, 0.33, 0.33, 0.01]]], dtype=np.float32)
    >>> d = nd.Categorical(probs=raw)
    >>> d.batch_shape, d.logits.round(4)[1]
    ((2, 1), array([[-1.1087, -1.1087, -1.1087, -4.6052]], dtype=float32))
    >>> s = d.sample(rng=0)
    >>> s.shape, s.dtype
    ((2, 1), dtype('int64'))
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    # validated as given, before the normalisation
    _param_constraints = {"probs": constraints.unnormalized_simplex, "logits": constraints.logits_vector}
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        value = probs if probs is not None else logits
        dtype, p = as_float_params(**{name: value})
        if p[name].ndim < 1:
            raise ValueError(f"`{name}` parameter must be at least one-dimensional.")
        batch_shape = self._record_params({name: value}, p, dtype, event_dims={name: 1})
        raw: np.ndarray = getattr(self, name)
        if raw.shape[-1] == 0:
            raise ValueError(f"`{name}` must have at least one category (K = 0 given)")
        self._param_name = name
        self._raw = raw
        self._num_events = raw.shape[-1]
        super().__init__(batch_shape, validate_args=validate_args)  # validates the parameter as given
        with np.errstate(invalid="ignore", divide="ignore"):
            if name == "probs":
                self.probs = raw / raw.sum(-1, keepdims=True)
            else:
                self.logits = raw - logsumexp(raw, keepdims=True)

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Categorical":
        new = super().expand(batch_shape, _instance)
        new._raw = np.broadcast_to(self._raw, new.batch_shape + (self._num_events,))
        return new

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> np.ndarray:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> np.ndarray:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._raw.shape

    @property
    def mean(self) -> np.ndarray:
        return np.full(self._extended_shape(), np.nan, dtype=self.dtype)

    @property
    def mode(self) -> np.ndarray:
        idx: np.ndarray = self.probs.argmax(-1)
        return idx

    @property
    def variance(self) -> np.ndarray:
        return np.full(self._extended_shape(), np.nan, dtype=self.dtype)

    # -- sampling -------------------------------------------------------------------
    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """int64 indices of shape ``sample_shape + batch_shape``.

        Rows that get enough draws for it to pay (the kernels' cost model, a function
        of K and the draws per row) are drawn from alias tables, built on the first
        such call and cached on the distribution; other calls use the CDF path. The
        numbers depend only on the rng and the shapes, not on whether the table was
        already cached."""
        from numdist import _categorical
        from numdist.alias import _bad_row_error

        shape = as_shape(sample_shape)
        check_size(shape + self._batch_shape, "sample_shape", requested=shape)
        n = math.prod(shape)
        k = self._num_events
        nrows = math.prod(self._batch_shape)
        alias = _categorical.prefer_alias(k, n)
        table = None
        if alias and ("_alias_table" in self.__dict__ or nrows * k * 16 <= _TABLE_CACHE_BYTES):
            table = self._alias_table._table
        rows = None if table is not None else self._rows64()
        try:
            out = _categorical.sample_rows(rng, rows, n, table, alias=alias)
        except _categorical.BadRowError as exc:
            raise _bad_row_error(self._param_name, self._raw, exc.row, self._where) from None
        return out.reshape(shape + self._batch_shape)

    def _rows64(self) -> np.ndarray:
        """The normalised probs as aligned float64 (nrows, K) rows for the kernels."""
        from numdist.utils import aligned

        return aligned(self.probs.astype(np.float64, copy=False).reshape(-1, self._num_events))

    @lazy_property
    def _alias_table(self) -> AliasTable:
        from numdist.alias import AliasTable

        return AliasTable._from_rows(self._rows64(), self._batch_shape, self._param_name, self._raw, self._where)

    @property
    def _where(self) -> str:
        return f"distribution {type(self).__name__}"

    # -- densities --------------------------------------------------------------------
    def _value_index(self, value: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """``value`` as int64 category indices (floats truncated, as torch's ``long()``).
        An index outside ``[0, K)`` (or NaN/inf) is an error whatever ``validate_args``
        says, as in torch: turning it into some category's log-probability would give a
        plausible number for a wrong input (issue 10, defect 7)."""
        arr = self._validate_sample(value)
        if arr.dtype.kind == "b":
            arr = arr.astype(np.int64)
        k = self._num_events
        with np.errstate(invalid="ignore"):
            bad = ~((arr >= 0) & (arr < k))
        if bad.any():
            index = first_bad_index(~bad)
            raise ValueError(
                f"value (ndarray of shape {arr.shape}) of distribution {type(self).__name__} must hold "
                f"category indices in [0, {k - 1}], but value at index {index} is {arr[index]!r}")
        return arr.astype(np.int64)

    def log_prob(self, value: Any) -> np.ndarray:
        v = self._value_index(value)
        v, log_pmf = np.broadcast_arrays(v[..., None], self.logits)
        lp: np.ndarray = np.take_along_axis(log_pmf, v[..., :1], -1)[..., 0]
        return lp

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP with respect to the parameter given (``probs`` or
        ``logits``): the score function used by REINFORCE. Samples are integers, so
        there is no ``value`` gradient."""
        v = self._value_index(value)
        lp = self.log_prob(v)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = np.asarray(g, dtype=self.dtype)
            full = tuple(np.broadcast_shapes(lp.shape, g.shape))
            rec = self._params[self._param_name]
            nrows, k = math.prod(self._batch_shape), self._num_events
            if (self._param_name == "logits" and full == lp.shape and nrows * k > 1
                    and len(rec.shape) == len(self._batch_shape) + 1):
                # one pass over the draws, the operations and order of the one-hot
                # expressions below (same bits) without the one-hot (S, B, K) array
                ns = len(full) - len(self._batch_shape)
                probs = np.ascontiguousarray(self.probs).reshape(nrows, k)
                grad = np.empty(self._batch_shape + (k,), dtype=self.dtype)
                _fused.categorical_logits_score(sb_layout(v, full, ns, ()), sb_layout(g, full, ns, ()), probs,
                                                grad.reshape(nrows, k))
                return {"logits": self._grad("logits", grad)}
            shape = full + (self._num_events,)
            onehot = np.zeros(shape, dtype=self.dtype)
            idx = np.broadcast_to(v[..., None], shape[:-1] + (1,))
            np.put_along_axis(onehot, idx, 1, -1)
            return self._normalisation_vjp(None, g[..., None] * onehot)

        return lp, vjp

    def entropy(self) -> np.ndarray:
        min_real = np.finfo(self.dtype).min
        logits = np.clip(self.logits, min_real, None)
        h: np.ndarray = -(logits * self.probs).sum(-1)
        return h

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        h = self.entropy()

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = np.asarray(g, dtype=self.dtype)[..., None]
            min_real = np.finfo(self.dtype).min
            logits_c = np.clip(self.logits, min_real, None)
            if self._param_name == "logits":
                # through the softmax a zero probability's factor meets p = 0 in the Jacobian,
                # so it does not matter: 0 instead of finfo.min keeps g * logit finite
                logits_c = np.where(self.probs == 0, 0, logits_c)
            mask = self.logits >= min_real
            return self._normalisation_vjp(-g * logits_c, -g * self.probs * mask)

        return h, vjp

    def enumerate_support(self, expand: bool = True) -> np.ndarray:
        values = np.arange(self._num_events, dtype=np.int64).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (self._num_events,) + self._batch_shape)
        return values

    # -- gradients through the normalisation -----------------------------------------------
    def _normalisation_vjp(self, dprobs: np.ndarray | None, dlogits: np.ndarray | None) -> dict[str, np.ndarray]:
        """Map cotangents on the normalised ``probs``/``logits`` (any broadcast shape
        ending in K) to the gradient of the parameter the user passed, as autograd
        through torch's normalisation and clamping would."""
        probs = self.probs
        if self._param_name == "logits":
            grad = 0.0
            if dlogits is not None:
                grad = grad + dlogits - probs * dlogits.sum(-1, keepdims=True)
            if dprobs is not None:
                grad = grad + probs * (dprobs - (probs * dprobs).sum(-1, keepdims=True))
        else:
            eps = np.finfo(self.dtype).eps
            total = self._raw.sum(-1, keepdims=True)
            dq = 0.0 if dprobs is None else dprobs
            if dlogits is not None:
                mask = (probs >= eps) & (probs <= 1 - eps)
                with np.errstate(divide="ignore", invalid="ignore"):
                    dq = dq + np.where(mask, dlogits / np.where(mask, probs, 1), 0)
            dq = np.asarray(dq)
            grad = (dq - (probs * dq).sum(-1, keepdims=True)) / total
        return {self._param_name: self._grad(self._param_name, grad)}


# -- Categorical || Categorical --------------------------------------------------------
def _kl_categorical_terms(p: Categorical, q: Categorical) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pp, lp, lq = np.broadcast_arrays(p.probs, p.logits, q.logits)
    qp = np.broadcast_to(q.probs, pp.shape)
    with np.errstate(invalid="ignore"):
        t = pp * (lp - lq)
    t = np.where(qp == 0, np.inf, t)
    live = pp != 0
    return np.where(live, t, 0), live, pp


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> np.ndarray:
    kl: np.ndarray = _kl_categorical_terms(p, q)[0].sum(-1)
    return kl


@register_kl_vjp(Categorical, Categorical)
def _kl_categorical_categorical_vjp(p: Categorical, q: Categorical) -> tuple[np.ndarray, KLVJP]:
    t, live, pp = _kl_categorical_terms(p, q)
    kl = t.sum(-1)
    finite = live & (np.broadcast_to(q.probs, pp.shape) != 0)

    def vjp(g: Any) -> dict[str, dict[str, np.ndarray]]:
        g = np.asarray(g, dtype=kl.dtype)[..., None] * finite
        with np.errstate(invalid="ignore"):  # -inf - -inf where both rows exclude a category
            diff = np.where(finite, p.logits - q.logits, 0)
        return {"p": p._normalisation_vjp(g * diff, g * pp), "q": q._normalisation_vjp(None, -g * pp)}

    return kl, vjp
