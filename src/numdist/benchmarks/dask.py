"""Benchmark rows for numdist.dask on a local cluster (docs/performance.md).

The mean of ``1e9 * scale`` standard normals computed on a ``distributed.LocalCluster``
of two single-threaded worker processes, against ``dask.array.random`` on the same
cluster with the same chunks, and against numdist on a one-worker cluster. Rows are
skipped when dask or distributed is not installed. Clusters start on first use and
are closed at exit.
"""
from __future__ import annotations

import atexit
from typing import Any

from numdist.benchmarks import Workload

_clients: dict[int, Any] = {}


def _client(n_workers: int) -> Any:
    if n_workers not in _clients:
        import logging

        import distributed

        # ":0": any free port for the dashboard (None still tries 8787 in some versions)
        cluster = distributed.LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                                           dashboard_address=":0", host="127.0.0.1",
                                           silence_logs=logging.ERROR)
        _clients[n_workers] = distributed.Client(cluster, set_as_default=False)
    return _clients[n_workers]


@atexit.register
def _close() -> None:
    import logging

    if _clients:
        for name in list(logging.root.manager.loggerDict):  # no shutdown chatter after the table
            if name.startswith("distributed"):
                logging.getLogger(name).setLevel(logging.ERROR)
    for c in _clients.values():
        cluster = c.cluster
        c.close()
        cluster.close()
    _clients.clear()


def workloads(scale: float = 1.0) -> list[Workload]:
    try:
        import dask.array as da
        import distributed  # noqa: F401
    except ImportError:
        return []
    import numdist as nd
    import numdist.dask as ndd

    n = max(int(1e9 * scale), 100_000)
    # 256 blocks of 3.9e6 normals (31 MB) at scale 1: under glibc's 32 MB mmap ceiling, so
    # freed blocks are reused instead of page-faulted in again (both sides alike)
    chunk = max(n // 256, 10_000)
    d = nd.Normal(0.0, 1.0)

    def nd_mean(workers: int) -> Any:
        return lambda: _client(workers).compute(ndd.sample(d, (n,), chunks=chunk, rng=0).mean(), sync=True)

    def dask_mean() -> Any:
        return _client(2).compute(da.random.default_rng(0).standard_normal(n, chunks=chunk).mean(), sync=True)

    return [
        Workload(f"dask: mean of {n:.0e} normals, 2-worker LocalCluster", nd_mean(2),
                 {"dask.array.random (2 workers)": dask_mean}, ">= 4x dask.array.random"),
        Workload(f"dask: mean of {n:.0e} normals, 2 workers vs 1", nd_mean(2),
                 {"numdist.dask, 1 worker": nd_mean(1)}, ">= 1.7x"),
    ]
