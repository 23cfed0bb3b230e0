"""Benchmark rows for the gamma family (docs/performance.md)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    n = max(int(1e7 * scale), 1000)
    rows: list[Workload] = []
    gen = np.random.default_rng(0)
    out = np.empty(n)
    def gamma_row(a: float, target: str) -> Workload:
        peers: dict[str, Callable[[], Any]] = {"numpy Generator": lambda: gen.standard_gamma(a, out=out)}
        return Workload(f"standard_gamma({a}) {n:.0e} f64 out=", lambda: nd.random.standard_gamma(a, out=out),
                        peers, target)

    rows += [gamma_row(2.5, ">= 5x numpy"), gamma_row(0.3, ">= 4x numpy")]

    m, k = max(int(1e5 * scale), 100), 10
    alpha = np.ones(k)
    peers: dict[str, Callable[[], Any]] = {"numpy Generator.dirichlet": lambda: gen.dirichlet(alpha, size=m)}
    if torch is not None:
        td = torch.distributions.Dirichlet(torch.ones(m, k, dtype=torch.float64))
        peers["torch Dirichlet.sample"] = lambda: td.sample()
    rows.append(Workload(f"dirichlet(ones({k}), size={m:.0e})", lambda: nd.random.dirichlet(alpha, size=m),
                         peers, ">= 5x torch"))

    c = max(int(1e6 * scale), 100)
    conc = np.linspace(0.5, 5.0, c)
    # torch differentiates the concentration only (the rate is a plain tensor)
    rows.append(_grad_step_row(f"Gamma(conc[{c:.0e}]).rsample_vjp + gradient", nd.Gamma, (conc, np.ones(c)),
                               "Gamma", torch, target=">= 5x torch", torch_grads=1))

    # the other implicit-gradient families, the same step (no DESIGN target: tracked
    # against torch, whose gradients are fitted approximations)
    c1, c0 = conc, conc[::-1].copy()
    rows.append(_grad_step_row(f"Beta(c1[{c:.0e}], c0[{c:.0e}]).rsample_vjp + gradient", nd.Beta, (c1, c0),
                               "Beta", torch))
    rows.append(_grad_step_row(f"StudentT(df[{c:.0e}]).rsample_vjp + gradient", nd.StudentT, (conc,),
                               "StudentT", torch))
    dc = np.stack([conc[: c // 10], c0[: c // 10]] * 5, axis=1)
    rows.append(_grad_step_row(f"Dirichlet(conc[{c // 10:.0e}, 10]).rsample_vjp + gradient", nd.Dirichlet, (dc,),
                               "Dirichlet", torch))
    return rows


def _grad_step_row(name: str, family: Any, params: tuple[np.ndarray, ...], torch_name: str, torch: Any,
                   target: str = "", torch_grads: int | None = None) -> Workload:
    """A training step of an implicitly reparameterised family: ``rsample_vjp`` and its
    backward (numdist), ``rsample().sum().backward()`` (torch), the same parameters;
    torch differentiates the first ``torch_grads`` of them (all by default)."""
    d = family(*params)

    def numdist_step() -> Any:
        x, vjp = d.rsample_vjp()
        return vjp(np.ones_like(x))

    peers: dict[str, Callable[[], Any]] = {}
    if torch is not None:
        ng = len(params) if torch_grads is None else torch_grads
        tp = [torch.tensor(p, requires_grad=i < ng) for i, p in enumerate(params)]
        cls = getattr(torch.distributions, torch_name)

        def torch_step() -> Any:
            for t in tp[:ng]:
                t.grad = None
            cls(*tp).rsample().sum().backward()
            return tp[0].grad

        peers["torch rsample + backward"] = torch_step
    return Workload(name, numdist_step, peers, target)
