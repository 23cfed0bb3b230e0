"""Benchmark rows for Binomial and Multinomial (docs/performance.md)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    gen = np.random.default_rng(0)
    rows: list[Workload] = []

    n = max(int(1e7 * scale), 1000)
    out = np.empty(n, dtype=np.int64)
    peers: dict[str, Callable[[], Any]] = {"numpy Generator.binomial": lambda: gen.binomial(10**6, 0.3, size=n)}
    rows.append(Workload(f"binomial(1e6, 0.3) {n:.0e} int64 out=", lambda: nd.random.binomial(10**6, 0.3, out=out),
                         peers, ">= 4x numpy"))

    nrows, k, s = max(int(1000 * scale), 10), 100, 10
    w = np.random.default_rng(1).uniform(0.1, 1.0, size=(nrows, k))
    mult = nd.Multinomial(1000, probs=w)
    pvals = w / w.sum(-1, keepdims=True)
    peers = {"numpy Generator.multinomial": lambda: gen.multinomial(1000, pvals, size=(s, nrows))}
    if torch is not None:
        tm = torch.distributions.Multinomial(1000, probs=torch.from_numpy(w))
        peers = {"torch Multinomial.sample": lambda: tm.sample((s,)), **peers}
    rows.append(Workload(f"Multinomial(1000, probs[{nrows} x {k}]).sample(({s},))", lambda: mult.sample((s,)),
                         peers, ">= 10x torch"))

    # counts torch cannot draw (it allocates total_count Bernoullis / categorical draws)
    big = nd.Binomial(total_count=1e12, probs=np.full(nrows, 0.3))
    peers = {"numpy Generator.binomial": lambda: gen.binomial(10**12, 0.3, size=(100, nrows))}
    rows.append(Workload(f"Binomial(1e12, 0.3) [{nrows} rows].sample((100,))", lambda: big.sample((100,)), peers,
                         "torch cannot (O(total_count))"))
    m = max(int(1000 * scale), 10)
    p100 = np.random.default_rng(2).uniform(0.1, 1.0, size=100)
    huge = nd.Multinomial(10**9, probs=p100)
    p100n = p100 / p100.sum()
    peers = {"numpy Generator.multinomial": lambda: gen.multinomial(10**9, p100n, size=m)}
    rows.append(Workload(f"Multinomial(1e9, probs[100]).sample(({m},))", lambda: huge.sample((m,)), peers,
                         "torch cannot (O(total_count))"))
    return rows
