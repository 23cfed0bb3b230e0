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
    return rows
