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
    rate = np.ones(c)
    d = nd.Gamma(conc, rate)

    def numdist_step() -> Any:
        x, vjp = d.rsample_vjp()
        return vjp(np.ones_like(x))

    peers = {}
    if torch is not None:
        tc = torch.tensor(conc, requires_grad=True)
        tr = torch.tensor(rate)

        def torch_step() -> Any:
            tc.grad = None
            torch.distributions.Gamma(tc, tr).rsample().sum().backward()
            return tc.grad

        peers["torch rsample + backward"] = torch_step
    rows.append(Workload(f"Gamma(conc[{c:.0e}]).rsample_vjp + gradient", numdist_step, peers, ">= 5x torch"))
    return rows
