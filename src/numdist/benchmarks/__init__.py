"""The benchmark harness behind ``python -m numdist bench``.

Each family has a module here whose ``workloads(scale)`` returns
:class:`Workload` rows: one numdist callable and the peers' callables for the
same work (numpy, torch, scipy where installed), set up outside the timed
region. The harness times every row in one run, single-threaded, and reports
ratios, which survive machine noise better than absolute times. The
pytest-benchmark suite under ``bench/`` times the same rows.
"""
from __future__ import annotations

import dataclasses
import importlib
import time
from typing import Any, Callable

__all__ = ["Workload", "all_workloads", "time_call", "run", "with_threads", "FAMILIES"]

def _discover() -> tuple[str, ...]:
    """Every module of this package but the harness's own (a new family adds a file)."""
    import pkgutil

    return tuple(m.name for m in pkgutil.iter_modules(__path__) if m.name not in ("plot",))


FAMILIES = _discover()


@dataclasses.dataclass
class Workload:
    """One row: ``name``, what it does per call, the numdist callable and the peers'."""

    name: str
    numdist: Callable[[], Any]
    peers: dict[str, Callable[[], Any]]
    target: str = ""  # docs/performance.md target, e.g. ">= 6x numpy"


def torch_or_none() -> Any:
    """torch, single-threaded, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def all_workloads(scale: float = 1.0, families: tuple[str, ...] = FAMILIES) -> list[Workload]:
    rows: list[Workload] = []
    for fam in families:
        try:
            mod = importlib.import_module(f"numdist.benchmarks.{fam}")
        except ModuleNotFoundError as exc:
            if exc.name != f"numdist.benchmarks.{fam}":
                raise
            continue
        rows.extend(mod.workloads(scale))
    return rows


def time_call(fn: Callable[[], Any], repeat: int = 5, min_time: float = 0.05) -> float:
    """Best wall time of one call over ``repeat`` rounds (each round loops until
    ``min_time`` so that short calls are not dominated by timer resolution)."""
    fn()  # warm-up: first-touch page faults, lazy tables, imports
    best = float("inf")
    for _ in range(repeat):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min_time:
                break
        best = min(best, elapsed / n)
    return best


def with_threads(n: int, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run with numdist set to ``n`` threads (the harness default is 1)."""
    import numdist

    def call() -> Any:
        numdist.set_num_threads(n)
        try:
            return fn()
        finally:
            numdist.set_num_threads(1)

    return call


def run(scale: float = 1.0, repeat: int = 5, families: tuple[str, ...] = FAMILIES,
        echo: Callable[[str], None] | None = print) -> list[dict[str, Any]]:
    """Time every workload and its peers; return one record per (workload, peer)."""
    import numdist

    records: list[dict[str, Any]] = []
    saved = numdist.get_num_threads()
    numdist.set_num_threads(1)
    try:
        return _run_rows(all_workloads(scale, families), repeat, echo, records)
    finally:
        numdist.set_num_threads(saved)


def _run_rows(rows: list[Workload], repeat: int, echo: Callable[[str], None] | None,
              records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for w in rows:
        t_nd = time_call(w.numdist, repeat)
        if not w.peers:
            records.append({"work": w.name, "numdist_s": t_nd, "peer": None, "peer_s": None,
                            "speedup": None, "target": w.target})
            if echo:
                echo(format_row(records[-1]))
        for peer, fn in w.peers.items():
            t_peer = time_call(fn, repeat)
            records.append({"work": w.name, "numdist_s": t_nd, "peer": peer, "peer_s": t_peer,
                            "speedup": t_peer / t_nd, "target": w.target})
            if echo:
                echo(format_row(records[-1]))
    return records


def _fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    for unit, f in (("s", 1.0), ("ms", 1e3), ("us", 1e6)):
        if s * f >= 1:
            return f"{s * f:8.2f} {unit}"
    return f"{s * 1e9:8.1f} ns"


HEADER = f"{'work':<58} {'numdist':>11} {'peer':<24} {'peer time':>11} {'speed-up':>9}  target"


def format_row(r: dict[str, Any]) -> str:
    ratio = "-" if r["speedup"] is None else f"{r['speedup']:8.2f}x"
    return (f"{r['work']:<58} {_fmt_time(r['numdist_s']):>11} {str(r['peer'] or '-'):<24} "
            f"{_fmt_time(r['peer_s']):>11} {ratio:>9}  {r['target']}")
