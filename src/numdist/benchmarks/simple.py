"""Benchmark rows for the simple element-wise families (docs/performance.md)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    n = max(int(1e7 * scale), 1000)
    k, s = 1000, max(int(10000 * scale), 10)
    rows: list[Workload] = []

    out64 = np.empty(n)
    gen = np.random.default_rng(0)
    peers: dict[str, Callable[[], Any]] = {"numpy Generator": lambda: gen.standard_exponential(out=out64)}
    if torch is not None:
        t64 = torch.empty(n, dtype=torch.float64)
        peers["torch exponential_ f64"] = lambda: t64.exponential_()
    rows.append(Workload(f"standard_exponential {n:.0e} f64 out=", lambda: nd.random.standard_exponential(out=out64),
                         peers, ">= 5x numpy"))

    probs = np.linspace(0.01, 0.99, k)
    bern = nd.Bernoulli(probs=probs)
    peers = {"numpy Generator.random < p": lambda: gen.random((s, k)) < probs}
    if torch is not None:
        tb = torch.distributions.Bernoulli(probs=torch.from_numpy(probs))
        peers["torch Bernoulli.sample"] = lambda: tb.sample((s,))
    rows.append(Workload(f"Bernoulli(probs[{k}]).sample(({s},)) f64", lambda: bern.sample((s,)), peers, ">= 5x torch"))

    loc, sc = np.linspace(-1, 1, k), np.linspace(0.5, 2, k)
    lap = nd.Laplace(loc, sc)
    peers = {"numpy Generator.laplace": lambda: gen.laplace(loc, sc, size=(s, k))}
    if torch is not None:
        tl = torch.distributions.Laplace(torch.from_numpy(loc), torch.from_numpy(sc))
        peers["torch Laplace.rsample"] = lambda: tl.rsample((s,))
    rows.append(Workload(f"Laplace(loc[{k}], scale[{k}]).rsample(({s},)) f64", lambda: lap.rsample((s,)),
                         peers, ">= 5x torch"))
    return rows
