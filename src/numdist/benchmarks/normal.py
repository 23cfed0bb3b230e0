"""Benchmark rows for the Normal family (docs/performance.md)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none, with_threads


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    n = max(int(1e7 * scale), 1000)
    rows: list[Workload] = []

    out64 = np.empty(n)
    gen = np.random.default_rng(0)
    peers: dict[str, Callable[[], Any]] = {"numpy Generator": lambda: gen.standard_normal(out=out64)}
    if torch is not None:
        t64 = torch.empty(n, dtype=torch.float64)
        peers["torch.randn f64"] = lambda: torch.randn(n, dtype=torch.float64, out=t64)
    rows.append(Workload(f"standard_normal {n:.0e} f64 out=", lambda: nd.random.standard_normal(out=out64),
                         peers, ">= 6x numpy"))

    out32 = np.empty(n, dtype=np.float32)
    peers = {"numpy Generator": lambda: gen.standard_normal(out=out32, dtype=np.float32)}
    if torch is not None:
        t32 = torch.empty(n, dtype=torch.float32)
        peers["torch.randn f32"] = lambda: torch.randn(n, out=t32)
    rows.append(Workload(f"standard_normal {n:.0e} f32", lambda: nd.random.standard_normal(out=out32, dtype=np.float32),
                         peers, ">= 5x torch"))

    # rng= a NumPy Generator: it keys numdist's streams (two words per call), full speed
    ngen = np.random.default_rng(0)
    rows.append(Workload(f"standard_normal {n:.0e} f64 out=, rng=numpy Generator",
                         lambda: nd.random.standard_normal(out=out64, rng=ngen),
                         {"numpy Generator": lambda: gen.standard_normal(out=out64)}, ">= 5x numpy"))

    rows.append(Workload(f"standard_normal {n:.0e} f64, 2 threads",
                         with_threads(2, lambda: nd.random.standard_normal(out=out64)),
                         {"numdist 1 thread": lambda: nd.random.standard_normal(out=out64)}, ">= 1.8x one thread"))

    k, s = 1000, max(int(10000 * scale), 10)
    loc = np.linspace(-1, 1, k).astype(np.float32)
    sc = np.linspace(0.5, 2, k).astype(np.float32)
    d = nd.Normal(loc, sc)
    peers = {}
    if torch is not None:
        td = torch.distributions.Normal(torch.from_numpy(loc), torch.from_numpy(sc))
        peers["torch Normal.rsample"] = lambda: td.rsample((s,))
    rows.append(Workload(f"Normal(loc[{k}], scale[{k}]).rsample(({s},)) f32", lambda: d.rsample((s,)),
                         peers, ">= 6x torch"))
    rows += elbo_workloads(torch)
    return rows


# -- one ELBO gradient step (docs/performance.md, "The ELBO step") ------------------------------
ELBO_D, ELBO_S = 1000, 64


def elbo_data(D: int = ELBO_D, seed: int = 0) -> dict[str, np.ndarray]:
    """The fixed problem: variational parameters ``mu``, ``sigma`` and observations ``y`` (float64)."""
    r = np.random.default_rng(seed)
    return {"mu": r.normal(size=D), "sigma": np.exp(0.3 * r.normal(size=D)), "y": r.normal(size=D)}


def elbo_fixed_numdist(y: np.ndarray) -> tuple[Any, Any]:
    """The parts of the model that do not change between steps: the likelihood
    ``Independent(Normal(y, 1), 1)`` and the prior ``Independent(Normal(0, 1), 1)``."""
    D = y.shape[-1]
    return nd.Independent(nd.Normal(y, np.ones(D)), 1), nd.Independent(nd.Normal(np.zeros(D), np.ones(D)), 1)


def elbo_step_numdist(mu: np.ndarray, sigma: np.ndarray, lik: Any, prior: Any, S: int = ELBO_S,
                      rng: Any = None) -> tuple[float, np.ndarray, np.ndarray]:
    """One step: ``q = Independent(Normal(mu, sigma), 1)`` (built from the current
    parameters), ``z ~ q`` (``S`` reparameterised draws), objective
    ``mean_s lik.log_prob(z_s) - KL(q || prior)``; returns it and its gradient with
    respect to ``mu`` and ``sigma``, through the three VJPs."""
    q = nd.Independent(nd.Normal(mu, sigma), 1)
    z, z_vjp = q.rsample_vjp((S,), rng=rng)
    ll, ll_vjp = lik.log_prob_vjp(z)
    kl, kl_vjp = nd.kl_divergence_vjp(q, prior)
    gz = z_vjp(ll_vjp(1.0 / S)["value"])       # d mean(ll) / dz, pulled back through z
    gkl = kl_vjp(-1.0)["p"]
    return float(ll.mean() - kl), gz["loc"] + gkl["loc"], gz["scale"] + gkl["scale"]


def elbo_fixed_torch(torch: Any, y: Any) -> tuple[Any, Any]:
    """:func:`elbo_fixed_numdist` in torch."""
    td, D = torch.distributions, y.shape[-1]
    ones, zeros = torch.ones(D, dtype=y.dtype), torch.zeros(D, dtype=y.dtype)
    return td.Independent(td.Normal(y, ones), 1), td.Independent(td.Normal(zeros, ones), 1)


def elbo_step_torch(torch: Any, mu: Any, sigma: Any, lik: Any, prior: Any, S: int = ELBO_S,
                    eps: Any = None) -> tuple[float, Any, Any]:
    """The same step with torch.distributions and autograd (``eps``: the standard
    normals to use instead of drawing, so that tests can compare on the same draw)."""
    td = torch.distributions
    m, s = mu.detach().clone().requires_grad_(), sigma.detach().clone().requires_grad_()
    q = td.Independent(td.Normal(m, s), 1)
    z = q.rsample((S,)) if eps is None else m + s * eps
    obj = lik.log_prob(z).mean() - td.kl_divergence(q, prior)
    g_mu, g_sigma = torch.autograd.grad(obj, (m, s))
    return float(obj.detach()), g_mu, g_sigma


def jax_or_none() -> Any:
    """jax with float64 enabled (CPU), or None when it is not installed."""
    import importlib

    try:
        jax: Any = importlib.import_module("jax")  # optional peer, untyped here
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    return jax


def elbo_grad_jax(jax: Any, S: int = ELBO_S, given_eps: bool = False) -> Any:
    """``jax.jit(jax.grad(objective, (0, 1)))``: the same objective written with
    jax.numpy (draws inside, from the last argument ``key``; with ``given_eps`` the
    last argument is the standard normals instead), gradient w.r.t. ``mu`` and ``sigma``."""
    jnp = jax.numpy
    half_log_2pi = 0.5 * float(np.log(2 * np.pi))

    def objective(mu: Any, sigma: Any, y: Any, key: Any) -> Any:
        eps = key if given_eps else jax.random.normal(key, (S,) + mu.shape, dtype=mu.dtype)
        z = mu + sigma * eps
        ll = jnp.sum(-0.5 * (z - y) ** 2 - half_log_2pi, axis=-1).mean()
        kl = jnp.sum(-jnp.log(sigma) + 0.5 * (sigma**2 + mu**2) - 0.5)
        return ll - kl

    return jax.jit(jax.grad(objective, argnums=(0, 1)))


def elbo_workloads(torch: Any) -> list[Workload]:
    data = elbo_data()
    mu, sigma, y = data["mu"], data["sigma"], data["y"]
    name = f"ELBO step, mean-field Normal D={ELBO_D}, S={ELBO_S}, f64"
    peers: dict[str, Callable[[], Any]] = {}
    if torch is not None:
        tmu, tsigma = torch.from_numpy(mu), torch.from_numpy(sigma)
        tlik, tprior = elbo_fixed_torch(torch, torch.from_numpy(y))
        peers["torch autograd"] = lambda: elbo_step_torch(torch, tmu, tsigma, tlik, tprior)
    jax = jax_or_none()
    if jax is not None:
        grad = elbo_grad_jax(jax)
        jmu, jsigma, jy = (jax.numpy.asarray(a) for a in (mu, sigma, y))
        keys = iter(jax.random.split(jax.random.PRNGKey(0), 1 << 16))  # a fresh key per step

        def jax_step() -> Any:
            return jax.block_until_ready(grad(jmu, jsigma, jy, next(keys)))

        peers["jax.jit(jax.grad)"] = jax_step
    lik, prior = elbo_fixed_numdist(y)

    def step() -> Any:
        return elbo_step_numdist(mu, sigma, lik, prior)

    rows = [Workload(name, step, peers, ">= 4x torch and jax")]
    if jax is None:
        rows.append(Workload(f"{name} (jax.jit(jax.grad): jax not installed)", step, {}, ">= 4x jax"))
    return rows
