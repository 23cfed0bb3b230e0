"""OneHotCategorical: a Categorical whose samples are one-hot vectors."""
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints
from numdist.categorical import Categorical
from numdist.distribution import VJP, Distribution
from numdist.kl import KLVJP, kl_divergence, kl_divergence_vjp, register_kl, register_kl_vjp

__all__ = ["OneHotCategorical"]


class OneHotCategorical(Distribution):
    """One-hot encoded categorical: ``event_shape == (K,)``, samples in the float
    dtype of the parameters, as torch's ``OneHotCategorical``.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.OneHotCategorical(probs=[0.1, 0.2, 0.7])
    >>> d.sample((2,), rng=0).shape
    (2, 3)
    >>> float(d.log_prob([0.0, 0.0, 1.0]).round(6))
    -0.356675
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    _param_constraints = Categorical._param_constraints
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=False)
        self._params = self._categorical._params  # the same records: gradients come from the Categorical
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)
        self._categorical._validate_args = self._validate_args

    def _validation_values(self) -> dict[str, Any]:
        c = self._categorical
        return {c._param_name: c._raw}

    def expand(self, batch_shape: Any, _instance: Any = None) -> "OneHotCategorical":
        new = super().expand(batch_shape, _instance)
        new._categorical = self._categorical.expand(new.batch_shape)
        return new

    @property
    def probs(self) -> np.ndarray:
        return self._categorical.probs

    @property
    def logits(self) -> np.ndarray:
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._categorical.param_shape

    @property
    def mean(self) -> np.ndarray:
        return self._categorical.probs

    @property
    def mode(self) -> np.ndarray:
        probs = self._categorical.probs
        mode: np.ndarray = (probs.argmax(-1)[..., None] == np.arange(probs.shape[-1])).astype(probs.dtype)
        return mode

    @property
    def variance(self) -> np.ndarray:
        p = self._categorical.probs
        var: np.ndarray = p * (1 - p)
        return var

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        idx = self._categorical.sample(sample_shape, rng=rng)
        k = self.event_shape[0]
        onehot: np.ndarray = (idx[..., None] == np.arange(k)).astype(self._categorical.dtype)
        return onehot

    def _index(self, value: Any) -> np.ndarray:
        arr = self._validate_sample(value)
        idx: np.ndarray = arr.argmax(-1)
        return idx

    def log_prob(self, value: Any) -> np.ndarray:
        return self._categorical.log_prob(self._index(value))

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        return self._categorical.log_prob_vjp(self._index(value))

    def entropy(self) -> np.ndarray:
        return self._categorical.entropy()

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        return self._categorical.entropy_vjp()

    def enumerate_support(self, expand: bool = True) -> np.ndarray:
        k = self.event_shape[0]
        values = np.eye(k, dtype=self._categorical.dtype).reshape((k,) + (1,) * len(self.batch_shape) + (k,))
        if expand:
            values = np.broadcast_to(values, (k,) + self.batch_shape + (k,))
        return values


# -- OneHotCategorical || OneHotCategorical: the KL of the categoricals inside (as torch) ----------
@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> np.ndarray:
    return kl_divergence(p._categorical, q._categorical)


@register_kl_vjp(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot_vjp(p: OneHotCategorical, q: OneHotCategorical) -> tuple[np.ndarray, KLVJP]:
    return kl_divergence_vjp(p._categorical, q._categorical)
