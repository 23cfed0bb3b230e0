"""Benchmark rows for the composite families and TruncatedNormal (docs/performance.md)."""
from __future__ import annotations

import importlib
from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    n = max(int(1e6 * scale), 1000)
    rows: list[Workload] = []

    r = np.random.default_rng(0)
    K = 8
    logits, loc, sc = r.normal(size=K), 3 * r.normal(size=K), r.uniform(0.5, 2.0, size=K)
    x = r.normal(scale=3.0, size=n)
    gmm = nd.MixtureSameFamily(nd.Categorical(logits=logits), nd.Normal(loc, sc))
    peers: dict[str, Callable[[], Any]] = {}
    if torch is not None:
        tgmm = torch.distributions.MixtureSameFamily(
            torch.distributions.Categorical(logits=torch.from_numpy(logits)),
            torch.distributions.Normal(torch.from_numpy(loc), torch.from_numpy(sc)))
        tx = torch.from_numpy(x)
        peers["torch MixtureSameFamily.log_prob"] = lambda: tgmm.log_prob(tx)
    rows.append(Workload(f"MixtureSameFamily(K={K} Normals).log_prob({n:.0e} values) f64", lambda: gmm.log_prob(x),
                         peers, ">= 5x torch"))

    tn = nd.TruncatedNormal(0.0, 1.0, 8.0, 9.0)
    peers = {}
    try:
        truncnorm: Any = importlib.import_module("scipy.stats").truncnorm
    except ImportError:  # pragma: no cover - scipy is a test dependency only
        truncnorm = None
    if truncnorm is not None:
        gen = np.random.default_rng(0)
        peers["scipy truncnorm.rvs"] = lambda: truncnorm.rvs(8.0, 9.0, size=n, random_state=gen)
    rows.append(Workload(f"TruncatedNormal(0, 1, 8, 9).sample(({n:.0e},)) f64", lambda: tn.sample((n,)),
                         peers, ">= 10x scipy"))
    return rows
