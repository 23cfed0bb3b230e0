"""Benchmark rows for the transformed families (docs/performance.md)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    k, s = 1000, max(int(10000 * scale), 10)
    rows: list[Workload] = []

    loc, sc = np.linspace(-1, 1, k), np.linspace(0.5, 2, k)
    lognormal = nd.LogNormal(loc, sc)
    gen = np.random.default_rng(0)
    peers: dict[str, Callable[[], Any]] = {"numpy Generator.lognormal": lambda: gen.lognormal(loc, sc, size=(s, k))}
    if torch is not None:
        tl = torch.distributions.LogNormal(torch.from_numpy(loc), torch.from_numpy(sc))
        peers["torch LogNormal.rsample"] = lambda: tl.rsample((s,))
    rows.append(Workload(f"LogNormal(loc[{k}], scale[{k}]).rsample(({s},)) f64", lambda: lognormal.rsample((s,)),
                         peers, ">= 5x torch"))

    conc = np.linspace(0.5, 3, k)
    weibull = nd.Weibull(sc, conc)
    peers = {"numpy Generator.weibull * scale": lambda: gen.weibull(conc, size=(s, k)) * sc}
    if torch is not None:
        tw = torch.distributions.Weibull(torch.from_numpy(sc), torch.from_numpy(conc))
        peers["torch Weibull.rsample"] = lambda: tw.rsample((s,))
    rows.append(Workload(f"Weibull(scale[{k}], concentration[{k}]).rsample(({s},)) f64",
                         lambda: weibull.rsample((s,)), peers))
    return rows
