"""Benchmark rows for the Categorical family (docs/performance.md).

Peers get the same probabilities, set up outside the timed callables (torch
distributions are constructed once, like numdist's; rows that include
construction say so). numdist's Categorical caches its alias table on the first
call that pays for one, so the first call (the harness warm-up) builds it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    gen = np.random.default_rng(0)
    return (_one_row(torch, gen, scale) + _batched(torch, gen, scale) + _one_draw_per_row(torch, gen, scale))


def _one_row(torch: Any, gen: np.random.Generator, scale: float) -> list[Workload]:
    """K = 1000, 1e7 draws from one row."""
    k, n = 1000, max(int(1e7 * scale), 1000)
    p = gen.random(k)
    p /= p.sum()
    d = nd.Categorical(probs=p)
    peers: dict[str, Callable[[], Any]] = {"numpy Generator.choice": lambda: gen.choice(k, n, p=p)}
    if torch is not None:
        td = torch.distributions.Categorical(probs=torch.from_numpy(p))
        peers["torch Categorical.sample"] = lambda: td.sample((n,))
    rows = [Workload(f"Categorical K={k}, {n:.0e} draws", lambda: d.sample((n,)), peers, ">= 25x")]
    ngen = np.random.default_rng(1)  # rng= a NumPy Generator: keys numdist's streams
    rows.append(Workload(f"Categorical K={k}, {n:.0e} draws, rng=numpy Generator",
                         lambda: d.sample((n,), rng=ngen),
                         {"numpy Generator.choice": lambda: gen.choice(k, n, p=p)}, ">= 20x"))
    out = np.empty(n, dtype=np.int64)
    rows.append(Workload(f"random.categorical K={k}, {n:.0e} draws, out=",
                         lambda: nd.random.categorical(p, out=out),
                         {"numpy Generator.choice": lambda: gen.choice(k, n, p=p)}, ">= 25x"))
    return rows


def _batched(torch: Any, gen: np.random.Generator, scale: float) -> list[Workload]:
    """1000 rows x K = 100, 1000 draws per row."""
    nr, k, n = max(int(1000 * min(scale, 1.0)), 10), 100, 1000
    pb = gen.random((nr, k))
    db = nd.Categorical(probs=pb)
    peers: dict[str, Callable[[], Any]] = {}
    peers_c: dict[str, Callable[[], Any]] = {}
    if torch is not None:
        tpb = torch.from_numpy(pb)
        tdb = torch.distributions.Categorical(probs=tpb)
        peers["torch Categorical.sample"] = lambda: tdb.sample((n,))
        peers_c["torch construct + sample"] = lambda: torch.distributions.Categorical(probs=tpb).sample((n,))
    return [Workload(f"Categorical batched {nr} rows x K={k}, {n} draws each", lambda: db.sample((n,)),
                     peers, ">= 10x torch"),
            Workload(f"Categorical batched {nr} x K={k}, {n} draws, incl. construction",
                     lambda: nd.Categorical(probs=pb).sample((n,)), peers_c, ">= 10x torch")]


def _one_draw_per_row(torch: Any, gen: np.random.Generator, scale: float) -> list[Workload]:
    """1e5 rows x K = 16, one draw each (the CDF path)."""
    nr, k = max(int(1e5 * scale), 100), 16
    pc = gen.random((nr, k))
    pc /= pc.sum(-1, keepdims=True)
    dc = nd.Categorical(probs=pc)

    def numpy_rows() -> np.ndarray:  # the vectorised NumPy idiom: inverse CDF by counting
        u = gen.random((nr, 1))
        counts: np.ndarray = (pc.cumsum(-1) < u).sum(-1)
        return counts

    peers: dict[str, Callable[[], Any]] = {"numpy cumsum + compare": numpy_rows}
    if torch is not None:
        tdc = torch.distributions.Categorical(probs=torch.from_numpy(pc))
        peers["torch Categorical.sample"] = lambda: tdc.sample()
    return [Workload(f"Categorical {nr:.0e} rows x K={k}, one draw each", lambda: dc.sample(), peers,
                     ">= 1x faster peer")]
