"""Benchmark rows for Poisson and NegativeBinomial (docs/performance.md)."""
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

    # float64 rate, int64 draws; both sides allocate their output (NumPy's poisson has no out=)
    def poisson_row(lam: float) -> Workload:
        peers: dict[str, Callable[[], Any]] = {"numpy Generator.poisson": lambda: gen.poisson(lam, size=n)}
        return Workload(f"poisson({lam:g}) {n:.0e} int64", lambda: nd.random.poisson(lam, size=n), peers,
                        ">= 4x numpy")

    rows += [poisson_row(3.7), poisson_row(1000.0)]

    k, s = 1000, max(int(1000 * scale), 10)
    total_count = np.linspace(0.5, 50.0, k)
    probs = np.linspace(0.05, 0.95, k)
    nb = nd.NegativeBinomial(total_count, probs=probs)
    peers: dict[str, Callable[[], Any]] = {
        "numpy Generator.negative_binomial": lambda: gen.negative_binomial(total_count, 1 - probs, size=(s, k))}
    if torch is not None:
        tnb = torch.distributions.NegativeBinomial(torch.from_numpy(total_count), probs=torch.from_numpy(probs))
        peers["torch NegativeBinomial.sample"] = lambda: tnb.sample((s,))
    rows.append(Workload(f"NegativeBinomial(total_count[{k}], probs[{k}]).sample(({s},))", lambda: nb.sample((s,)),
                         peers, ""))  # no DESIGN target: shown for reference
    return rows
