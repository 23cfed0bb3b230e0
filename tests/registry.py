"""The generic test registry: every family adds entries here, and the generic tests
(tests/test_generic.py, tests/test_generic_*.py) check each entry against torch.

One entry is a :class:`Case`::

    Case("laplace-broadcast", "Laplace",
         {"loc": _r.normal(size=(3, 1)), "scale": _r.uniform(0.5, 2.0, size=(4,))})
    Case("bernoulli-logits", "Bernoulli", {"logits": _r.normal(size=(3, 4))})

By default the numdist distribution is ``nd.<family>(**params)`` and the torch one
``torch.distributions.<torch_family or family>(**{k: torch.tensor(v)})``. Wrappers
give ``build(D, p, **kw)``: ``D`` is ``numdist`` or ``torch.distributions``, ``p`` the
parameters (ndarrays or tensors, same keys as ``params``) and ``kw`` the keyword
arguments to pass to every constructor (``validate_args``).

``params`` are the differentiable parameters: every ``*_vjp`` dict must have exactly
these keys (plus ``"value"`` for ``log_prob_vjp`` of continuous families).

KL pairs are discovered (see :func:`kl_pairs`): every ordered pair of entries for which
torch computes a KL (torch registers the pair and the shapes fit), at most
``KL_PAIRS_PER_TYPES`` per pair of torch types, plus each entry against a copy of
itself with perturbed parameters (``perturb``, derived from ``arg_constraints``); add
explicit partners with ``kl_with=("other-id", ...)``.

Adding a family: one entry is enough, e.g.::

    Case("laplace-broadcast", "Laplace",
         {"loc": _r.normal(size=(3, 1)), "scale": _r.uniform(0.5, 2.0, size=(4,))})
    Case("bernoulli-probs", "Bernoulli", {"probs": _r.uniform(0.1, 0.9, size=(3,))})
    Case("geometric-logits", "Geometric", {"logits": _r.normal(size=(2, 3))}, int_samples=True)
    Case("binomial", "Binomial", {"probs": _r.uniform(0.1, 0.9, size=(3,))},
         const={"total_count": np.array([1.0, 5.0, 20.0])}, int_samples=True)

Two entries of one family whose batch shapes broadcast also give a discovered KL pair.
For rsample_vjp, the exact same-draw check uses the implicit rule through torch's cdf
(right for every location-scale or inverse-cdf sampler); give ``reparam`` when torch has no
differentiable cdf (multivariate families) or the sampler is not one of those.

Known failures of one entry in one generic test: ``xfail={"test_name": "reason"}``
(strict: the test must fail).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist import constraints as C

_r = np.random.default_rng(12345)


@dataclass(frozen=True)
class Case:
    id: str
    family: str                                   # numdist (and by default torch) class name
    params: dict[str, np.ndarray]                 # differentiable parameters, float64 by default
    torch_family: str | None = None               # torch class name when it differs
    const: dict[str, Any] = field(default_factory=dict)   # constructor arguments not differentiated (total_count)
    build: Callable[..., Any] | None = None       # build(D, p, **kw) for wrappers / extra arguments
    kl_with: tuple[str, ...] = ()                 # extra KL partners (case ids), on top of discovery
    rtol: float = 1e-12                           # values vs torch (float64)
    atol: float = 1e-12
    grad_rtol: float = 1e-10                      # VJPs vs torch autograd (float64)
    int_samples: bool = False                     # samples are int64 (Categorical, Geometric, Poisson ...)
    bad: dict[str, tuple[float, ...]] | None = None   # parameter -> bad values; None: from arg_constraints
    reparam: Callable[..., Any] | None = None     # reparam(td, x) -> x as a torch function of td's parameters
    xfail: dict[str, str] = field(default_factory=dict)   # test function name -> reason (strict)
    beyond_torch: tuple[str, ...] = ()            # quantities numdist has and torch lacks ("cdf")

    # -- builders ---------------------------------------------------------------------
    def make(self, D: Any, p: dict[str, Any], **kw: Any) -> Any:
        const = dict(self.const)
        if D is not nd:
            torch = __import__("torch")
            const = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in const.items()}
        if self.build is not None:
            return self.build(D, dict(p, **const), **kw)
        name = self.family if D is nd else (self.torch_family or self.family)
        return getattr(D, name)(**p, **const, **kw)

    def nd(self, params: dict[str, np.ndarray] | None = None, **kw: Any) -> Any:
        return self.make(nd, dict(self.params if params is None else params), **kw)

    def torch(self, torch: Any, params: dict[str, np.ndarray] | None = None, requires_grad: bool = False,
              **kw: Any) -> tuple[Any, dict[str, Any]]:
        """``(torch_dist, tensors)``; the tensors are the leaves (for autograd)."""
        src = self.params if params is None else params
        t = {k: torch.tensor(np.array(v), requires_grad=requires_grad) for k, v in src.items()}
        return self.make(torch.distributions, t, **kw), t

    def astype(self, dtype: Any) -> "Case":
        """The same entry with parameters cast (float32 variants)."""
        return dataclasses.replace(self, id=f"{self.id}-{np.dtype(dtype).name}",
                                   params={k: np.asarray(v).astype(dtype) for k, v in self.params.items()})

    def with_params(self, params: dict[str, np.ndarray], suffix: str) -> "Case":
        return dataclasses.replace(self, id=self.id + suffix, params=params)


# -- constraints of the parameters, and how to perturb or break them -----------------------
def param_constraint(d: Any, name: str) -> Any:
    """The constraint on parameter ``name`` of numdist distribution ``d`` (looking through
    wrappers: Independent's base, the Categorical inside OneHot/Relaxed)."""
    while True:
        cons = type(d).arg_constraints
        if name in cons:
            return cons[name]
        for attr in ("base_dist", "_categorical"):
            if hasattr(d, attr):
                d = getattr(d, attr)
                break
        else:
            raise KeyError(f"no constraint for parameter {name} of {type(d).__name__}")


def perturb(value: np.ndarray, constraint: Any, rng: np.random.Generator) -> np.ndarray | None:
    """``value`` moved randomly within ``constraint`` (None: constraint not known here)."""
    v = np.asarray(value, dtype=np.float64)
    n = rng.normal(size=v.shape) * 0.4
    constraint = getattr(constraint, "base_constraint", constraint)  # independent(positive, 1) and the like
    if constraint in (C.real, C.finite) or constraint is C.real_vector:
        return v + n
    if constraint in (C.positive, C.positive_finite):
        return v * np.exp(n)
    if constraint is C.unit_interval:
        return 1 / (1 + np.exp(-(np.log(v / (1 - v)) + n)))
    if constraint is C.simplex:
        return v * np.exp(n)  # unnormalised, zeros stay zero
    if constraint is C.lower_cholesky:
        d = v.shape[-1]
        return np.tril(v + 0.2 * np.tril(n, -1)) * np.where(np.eye(d, dtype=bool), np.exp(n), 1)
    if constraint is C.positive_definite:
        d = v.shape[-1]
        a = rng.normal(size=v.shape) * 0.3
        return v + a @ np.swapaxes(a, -1, -2) + 0.1 * np.eye(d)
    return None


def bad_values(constraint: Any) -> tuple[float, ...]:
    """Values one element of a parameter can be set to, violating ``constraint``."""
    constraint = getattr(constraint, "base_constraint", constraint)
    if constraint is C.positive_finite:
        return (-1.0, 0.0, np.nan, np.inf)
    if constraint is C.positive:
        return (-1.0, np.nan)
    if constraint is C.finite or constraint is C.real_vector:
        return (np.nan, np.inf)
    if constraint is C.real:
        return (np.nan,)
    if constraint is C.unit_interval:
        return (1.5, -0.5, np.nan)
    if constraint is C.simplex:
        return (-1.0, np.nan)
    if constraint in (C.lower_cholesky, C.positive_definite):
        return (-1.0, np.nan)
    return (np.nan,)


def break_param(value: np.ndarray, constraint: Any, bad: float) -> np.ndarray:
    """A copy of ``value`` with its last element (for matrices: the last diagonal entry
    of the last matrix only, so the batch index is not all zeros) set to ``bad``."""
    v = np.array(value)
    if v.dtype.kind != "f":
        v = v.astype(np.float64)
    if constraint in (C.lower_cholesky, C.positive_definite):
        v[(-1,) * v.ndim] = bad
    else:
        v.reshape(-1)[-1] = bad
    return v


# -- Normal ------------------------------------------------------------------------------------
def _normal(id, loc_shape, scale_shape, **kw):
    return Case(id, "Normal", {"loc": _r.normal(size=loc_shape), "scale": _r.uniform(0.5, 2.0, size=scale_shape)}, **kw)


def _independent_build(n):
    def build(D, p, **kw):
        return D.Independent(D.Normal(p["loc"], p["scale"], **kw), n, **kw)

    return build


def _independent(id, shape, n, **kw):
    return Case(id, "Independent",
                {"loc": _r.normal(size=shape), "scale": _r.uniform(0.5, 2.0, size=shape)},
                build=_independent_build(n), **kw)


CASES = [
    _normal("normal-scalar", (), ()),
    _normal("normal-vector", (4,), (4,)),
    _normal("normal-broadcast", (3, 1), (5,)),
    _normal("normal-matrix", (2, 3), (2, 3)),
    _independent("independent-1", (3, 2), 1),
    _independent("independent-2", (4, 3, 2), 2),
    _independent("independent-0", (3,), 0),
]

SAMPLE_SHAPES = [(), (1,), (5,), (2, 3), 4]


# -- Categorical family ------------------------------------------------------------------
# torch's Categorical mean/variance are NaN-filled (numdist's too); RelaxedOneHotCategorical
# has no mean, variance or entropy in torch (NotImplementedError in both).
def _cat_param(name, shape, zeros):
    if name == "probs":
        v = _r.uniform(0.1, 2.0, size=shape)
        if zeros:
            v[..., 1] = 0.0
    else:
        v = _r.normal(size=shape) * 2
        if zeros:
            v[..., 0] = -np.inf
    return v


def _categorical(id, cls, name, shape, zeros=False, **kw):
    return Case(id, cls, {name: _cat_param(name, shape, zeros)}, int_samples=(cls == "Categorical"), **kw)


def _relaxed(id, name, shape, temperature, **kw):
    return Case(id, "RelaxedOneHotCategorical",
                {"temperature": np.asarray(temperature, dtype=np.float64), name: _cat_param(name, shape, False)},
                reparam=_relaxed_reparam, **kw)


def _relaxed_reparam(td, x):
    """torch's rsample, softmax((logits + G) / temperature), with the Gumbel noise G recovered
    from the draw up to a per-row constant (softmax does not see it)."""
    torch = __import__("torch")
    logits = td.logits
    g = td.temperature.detach() * torch.log(x) - logits.detach()
    return torch.softmax((logits + g) / td.temperature, -1)


CASES += [
    _categorical("categorical-probs-vector", "Categorical", "probs", (5,)),
    _categorical("categorical-probs-batched", "Categorical", "probs", (3, 4)),
    _categorical("categorical-probs-zeros", "Categorical", "probs", (2, 3, 6), zeros=True),
    _categorical("categorical-logits-batched", "Categorical", "logits", (2, 1, 7)),
    _categorical("categorical-logits-neginf", "Categorical", "logits", (4, 3), zeros=True),
    _categorical("categorical-K1", "Categorical", "probs", (3, 1)),
    _categorical("onehot-probs-vector", "OneHotCategorical", "probs", (4,)),
    _categorical("onehot-logits-batched", "OneHotCategorical", "logits", (2, 3, 5), zeros=True),
    _relaxed("relaxed-logits-vector", "logits", (4,), 0.8),
    _relaxed("relaxed-probs-batched", "probs", (3, 5), 1.5),
]


# -- MultivariateNormal: the three parameterisations, with broadcasting batch shapes ----------
def _mvn_reparam(td, x):
    """torch's rsample formula loc + L @ eps, with eps recovered from the draw."""
    torch = __import__("torch")
    L = td._unbroadcasted_scale_tril
    eps = torch.linalg.solve_triangular(L.detach(), (x - td.loc.detach())[..., None], upper=False)
    return td.loc + (L @ eps)[..., 0]


def _mvn(id, param, loc_shape, mat_batch, **kw):
    d = loc_shape[-1]
    loc = _r.normal(size=loc_shape)
    a = _r.normal(size=tuple(mat_batch) + (d, d))
    cov = a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)
    value = {"covariance_matrix": cov, "precision_matrix": np.linalg.inv(cov),
             "scale_tril": np.linalg.cholesky(cov)}[param]
    value = 0.5 * (value + np.swapaxes(value, -1, -2)) if param != "scale_tril" else value
    return Case(id, "MultivariateNormal", {"loc": loc, param: value}, reparam=_mvn_reparam, **kw)


CASES += [
    _mvn("mvn-cov-single", "covariance_matrix", (3,), ()),
    _mvn("mvn-cov-batched", "covariance_matrix", (3, 2), (3,)),
    _mvn("mvn-cov-loc-broadcast", "covariance_matrix", (4,), (2, 3)),
    _mvn("mvn-precision-batched", "precision_matrix", (5, 3), (5,)),
    _mvn("mvn-precision-broadcast", "precision_matrix", (2, 1, 3), (4,)),
    _mvn("mvn-scale_tril-single", "scale_tril", (2,), ()),
    _mvn("mvn-scale_tril-broadcast", "scale_tril", (3, 4), (2, 1)),
    _mvn("mvn-scale_tril-d1", "scale_tril", (4, 1), (4,)),
]

# -- simple families -------------------------------------------------------------------------
def _loc_scale(id, family, loc_shape, scale_shape, **kw):
    return Case(id, family, {"loc": _r.normal(size=loc_shape), "scale": _r.uniform(0.5, 2.0, size=scale_shape)}, **kw)


CASES += [
    Case("uniform-scalar", "Uniform", {"low": np.array(-1.0), "high": np.array(2.5)}),
    Case("uniform-broadcast", "Uniform", {"low": _r.uniform(-3.0, -1.0, size=(3, 1)), "high": _r.uniform(1.0, 3.0, size=(4,))}),
    Case("exponential-vector", "Exponential", {"rate": _r.uniform(0.5, 2.0, size=(4,))}),
    Case("exponential-matrix", "Exponential", {"rate": _r.uniform(0.5, 2.0, size=(2, 3))}),
    _loc_scale("laplace-scalar", "Laplace", (), ()),
    _loc_scale("laplace-broadcast", "Laplace", (3, 1), (4,)),
    _loc_scale("cauchy-vector", "Cauchy", (4,), (4,)),
    _loc_scale("cauchy-broadcast", "Cauchy", (2, 3), (3,)),
    _loc_scale("gumbel-vector", "Gumbel", (4,), (4,)),
    _loc_scale("gumbel-broadcast", "Gumbel", (2, 1), (3,)),
    Case("bernoulli-probs-scalar", "Bernoulli", {"probs": np.array(0.3)}),
    Case("bernoulli-probs", "Bernoulli", {"probs": _r.uniform(0.1, 0.9, size=(3,))}),
    Case("bernoulli-logits", "Bernoulli", {"logits": _r.normal(size=(3, 4))}),
    Case("geometric-probs", "Geometric", {"probs": _r.uniform(0.1, 0.9, size=(4,))}, int_samples=True),
    Case("geometric-logits", "Geometric", {"logits": _r.normal(size=(2, 3))}, int_samples=True),
]

# -- gamma family --------------------------------------------------------------------------
# VJPs to 1e-8: torch's trigamma (autograd of digamma/lgamma) is off by ~1e-9; numdist's
# special functions are checked against mpmath to 1e-13 in tests/test_special.py.
_TRIGAMMA = {"grad_rtol": 1e-8}
CASES += [
    Case("gamma-vector", "Gamma", {"concentration": _r.uniform(0.5, 3.0, size=(3,)), "rate": _r.uniform(0.5, 2.0, size=(3,))}, **_TRIGAMMA),
    Case("gamma-broadcast", "Gamma", {"concentration": _r.uniform(0.5, 3.0, size=(2, 1)), "rate": _r.uniform(0.5, 2.0, size=(3,))}, **_TRIGAMMA),
    Case("chi2-vector", "Chi2", {"df": _r.uniform(1.0, 5.0, size=(4,))}, **_TRIGAMMA),
    Case("beta-broadcast", "Beta", {"concentration1": _r.uniform(0.5, 3.0, size=(3, 1)),
                                    "concentration0": _r.uniform(0.5, 3.0, size=(4,))}, beyond_torch=("cdf",), **_TRIGAMMA),
    Case("beta-scalar", "Beta", {"concentration1": np.array(2.5), "concentration0": np.array(0.8)},
         beyond_torch=("cdf",), **_TRIGAMMA),
    Case("dirichlet-batched", "Dirichlet", {"concentration": _r.uniform(0.5, 3.0, size=(2, 4))}, **_TRIGAMMA),
    Case("dirichlet-vector", "Dirichlet", {"concentration": _r.uniform(0.5, 3.0, size=(3,))}, **_TRIGAMMA),
    Case("studentt-vector", "StudentT", {"df": _r.uniform(2.5, 6.0, size=(3,)), "loc": _r.normal(size=(3,)),
                                         "scale": _r.uniform(0.5, 2.0, size=(3,))}, beyond_torch=("cdf",), **_TRIGAMMA),
]

# -- composites ------------------------------------------------------------------------------
# LowRankMultivariateNormal: its draw's base noise (r + d normals) is not recoverable from x,
# so the exact same-draw rsample check is in tests/test_lowrank_mvn.py; MixtureSameFamily and
# TruncatedNormal (no torch counterpart) are tested in tests/test_mixture.py and
# tests/test_truncated_normal.py.
CASES += [
    Case("lowrank-mvn", "LowRankMultivariateNormal", {"loc": _r.normal(size=(3, 4)), "cov_factor": 0.7 * _r.normal(size=(3, 4, 2)),
                                                      "cov_diag": _r.uniform(0.5, 2.0, size=(4,))}),
    Case("lowrank-mvn-broadcast", "LowRankMultivariateNormal", {"loc": _r.normal(size=(2, 1, 4)),
                                                                "cov_factor": 0.7 * _r.normal(size=(3, 4, 1)),
                                                                "cov_diag": _r.uniform(0.5, 2.0, size=(2, 3, 4))}),
]

BY_ID = {c.id: c for c in CASES}
assert len(BY_ID) == len(CASES), "duplicate case ids"


# -- KL pairs --------------------------------------------------------------------------------
KL_PAIRS_PER_TYPES = 2


def perturbed(case: Case, seed: int = 0) -> Case | None:
    """``case`` with every parameter moved within its constraint (None if some constraint
    is not known to :func:`perturb`)."""
    rng = np.random.default_rng(seed)
    try:
        d = case.nd()
    except Exception:  # a broken constructor is reported by the tests, not at collection
        return None
    params = {}
    for k, v in case.params.items():
        p = perturb(v, param_constraint(d, k), rng)
        if p is None:
            return None
        params[k] = p
    return case.with_params(params, "~")


def kl_pairs() -> list[tuple[Case, Case]]:
    """Ordered pairs ``(p, q)`` to test KL on: each case against a perturbed copy of itself,
    its explicit ``kl_with`` partners, and up to ``KL_PAIRS_PER_TYPES`` discovered pairs per
    (torch type p, torch type q) for which torch computes a KL. Needs torch (else only the
    explicit pairs and the perturbed copies)."""
    pairs: list[tuple[Case, Case]] = []
    for c in CASES:
        q = perturbed(c)
        if q is not None:
            pairs.append((c, q))
        pairs += [(c, BY_ID[o]) for o in c.kl_with]
    try:
        import torch
    except ImportError:
        return pairs
    import warnings

    built = {}
    for c in CASES:
        try:
            built[c.id] = c.torch(torch)[0]
        except Exception:
            continue
    seen: dict[tuple[type, type], int] = {}
    for a in CASES:
        for b in CASES:
            if a is b or a.id not in built or b.id not in built:
                continue
            key = (type(built[a.id]), type(built[b.id]))
            ka, kb = (getattr(built[x.id], "_num_events", None) for x in (a, b))
            if ka != kb or built[a.id].event_shape != built[b.id].event_shape:
                continue  # torch would broadcast categories of different K together
            if seen.get(key, 0) >= KL_PAIRS_PER_TYPES:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    torch.distributions.kl_divergence(built[a.id], built[b.id])
            except (NotImplementedError, RuntimeError, ValueError):
                continue
            seen[key] = seen.get(key, 0) + 1
            pairs.append((a, b))
    return pairs


# -- transformed families (TransformedDistribution and the families built on it) -------------
def _transformed_reparam(td, x):
    """torch's rsample, transforms(loc + scale * eps), with eps recovered from the draw
    through the inverse transforms (the base is a Normal, possibly inside Independent)."""
    torch = __import__("torch")
    y = x
    for t in reversed(td.transforms):
        y = t.inv(y)
    base = td.base_dist
    while isinstance(base, torch.distributions.Independent):
        base = base.base_dist
    eps = ((y - base.loc) / base.scale).detach()
    z = base.loc + base.scale * eps
    for t in td.transforms:
        z = t(z)
    return z


def _transformed_build(make_transforms):
    def build(D, p, **kw):
        return D.TransformedDistribution(D.Normal(p["loc"], p["scale"], **kw), make_transforms(D.transforms), **kw)

    return build


def _scale_only(id, family, shape, **kw):
    return Case(id, family, {"scale": _r.uniform(0.5, 2.0, size=shape)}, **kw)


CASES += [
    # scale below 0.6: the Monte Carlo rule for the second moment needs E[x^4] = exp(4 loc + 8 scale^2)
    # to be moderate, or its standard error is itself unreliable
    Case("lognormal-vector", "LogNormal", {"loc": _r.normal(size=(4,)), "scale": _r.uniform(0.2, 0.6, size=(4,))}),
    Case("lognormal-broadcast", "LogNormal", {"loc": _r.normal(size=(2, 1)), "scale": _r.uniform(0.2, 0.6, size=(3,))}),
    _scale_only("halfnormal-vector", "HalfNormal", (4,)),
    _scale_only("halfnormal-matrix", "HalfNormal", (2, 3)),
    _scale_only("halfcauchy-vector", "HalfCauchy", (3,)),
    _scale_only("halfcauchy-scalar", "HalfCauchy", ()),
    Case("weibull-vector", "Weibull", {"scale": _r.uniform(0.5, 2.0, size=(4,)),
                                       "concentration": _r.uniform(0.6, 3.0, size=(4,))}),
    Case("weibull-broadcast", "Weibull", {"scale": _r.uniform(0.5, 2.0, size=(2, 1)),
                                          "concentration": _r.uniform(1.2, 3.0, size=(3,))}),
    _loc_scale("logisticnormal-vector", "LogisticNormal", (3,), (3,), reparam=_transformed_reparam),
    _loc_scale("logisticnormal-batched", "LogisticNormal", (2, 3), (3,), reparam=_transformed_reparam),
    Case("transformed-tanh-normal", "TransformedDistribution",
         {"loc": _r.normal(size=(4,)) * 0.5, "scale": _r.uniform(0.3, 0.8, size=(4,))},
         build=_transformed_build(lambda T: [T.TanhTransform()]), reparam=_transformed_reparam),
    Case("transformed-exp-affine", "TransformedDistribution",
         {"loc": _r.normal(size=(2, 3)), "scale": _r.uniform(0.5, 1.5, size=(3,))},
         build=_transformed_build(lambda T: [T.ExpTransform(), T.AffineTransform(1.0, 2.0)]),
         reparam=_transformed_reparam),
    Case("transformed-decreasing", "TransformedDistribution",
         {"loc": _r.normal(size=(3,)), "scale": _r.uniform(0.5, 1.5, size=(3,))},
         build=_transformed_build(lambda T: [T.AffineTransform(0.5, -2.0), T.SigmoidTransform()]),
         reparam=_transformed_reparam),
]

# -- counts: Poisson, NegativeBinomial ---------------------------------------------------------
# Rates below 10 (inversion) and above (PTRS); larger rates are in tests/test_poisson_negbin.py (torch's
# log_prob formula cancels terms of size rate * log(rate): 1e-12 relative in float64 at rate 4000).
# NegativeBinomial from probs and from logits, total_count (a constant) broadcasting against them.
CASES += [
    Case("poisson-vector", "Poisson", {"rate": np.array([0.05, 3.7, 25.0])}, int_samples=True,
         bad={"rate": (-1.0, np.nan)}),
    Case("poisson-broadcast", "Poisson", {"rate": _r.uniform(10.0, 200.0, size=(2, 1))}, int_samples=True,
         bad={"rate": (-1.0, np.nan)}),
    Case("negbin-probs", "NegativeBinomial", {"probs": _r.uniform(0.1, 0.9, size=(3,))},
         const={"total_count": np.array([0.5, 3.0, 50.0])}, int_samples=True,
         bad={"probs": (1.5, -0.5, 1.0, np.nan)}),
    Case("negbin-logits", "NegativeBinomial", {"logits": _r.normal(size=(3,))},
         const={"total_count": np.array([[0.5], [3.0]])}, int_samples=True, bad={"logits": (np.nan,)}),
]

# -- counts: Binomial, Multinomial ---------------------------------------------------------------
# total_count is a constructor constant (not differentiated). torch's Multinomial.entropy adds
# lgamma(total_count + 1) in float32 (torch.tensor(int) is int64, and lgamma of an integer tensor is
# float32): its entropy is off by ~1e-7 relative, so numdist's (exact) is checked against
# scipy.stats.multinomial in tests/test_binomial_multinomial.py instead; the entropy gradient
# does not see that constant and is compared with torch here.
_MULTINOMIAL_ENTROPY = {
    "test_entropy_matches_torch": "torch rounds lgamma(total_count + 1) to float32 (checked against scipy instead)",
    "test_expand_matches_torch_and_makes_views": "same float32 entropy term of torch (expand checked in test_binomial_multinomial.py)",
}
_binom_n = np.array([[1.0], [5.0], [20.0]])
CASES += [
    Case("binomial-probs", "Binomial", {"probs": _r.uniform(0.1, 0.9, size=(4,))},
         const={"total_count": _binom_n}, int_samples=True,
         kl_with=("binomial-probs-scalar",)),  # q.total_count > p.total_count: NotImplementedError in both
    Case("binomial-logits", "Binomial", {"logits": _r.normal(size=(2, 3))},
         const={"total_count": np.array(12.0)}, int_samples=True),
    Case("binomial-probs-scalar", "Binomial", {"probs": np.array(0.35)},
         const={"total_count": np.array(12.0)}, int_samples=True),
    Case("multinomial-probs", "Multinomial", {"probs": _r.uniform(0.1, 2.0, size=(3, 4))},
         const={"total_count": 7}, int_samples=True, xfail=_MULTINOMIAL_ENTROPY),
    Case("multinomial-logits", "Multinomial", {"logits": _r.normal(size=(2, 1, 5))},
         const={"total_count": 10}, int_samples=True, xfail=_MULTINOMIAL_ENTROPY),
]
BY_ID = {c.id: c for c in CASES}
assert len(BY_ID) == len(CASES), "duplicate case ids"
