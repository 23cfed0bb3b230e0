"""Benchmark rows for numdist.dask on a local cluster (docs/performance.md).

The mean of ``1e9 * scale`` standard normals computed on a ``distributed.LocalCluster``
of two single-threaded worker processes, in Dask's default chunks, against
``dask.array.random`` on the same cluster with the same chunks, and against numdist on
a one-worker cluster. Rows are
skipped when dask or distributed is not installed. Clusters start on first use and
are closed at exit.

The workers start with ``WORKER_MALLOC_ENV`` (glibc reuses freed blocks up to its 32 MB
mmap ceiling): distributed's nannies start workers with ``MALLOC_TRIM_THRESHOLD_=65536``,
which also turns off glibc's sliding mmap threshold, so every allocation over 128 KB
would be a fresh ``mmap`` that the kernel page-faults in and zeroes. The rows' 128 MiB
blocks are above that ceiling either way: numdist's come from its own tile pool,
NumPy's are mapped afresh for each block (docs/performance.md).
"""
from __future__ import annotations

import atexit
import os
from typing import Any

from numdist.benchmarks import Workload

_clients: dict[int, Any] = {}

# glibc settings of the worker processes: blocks up to 32 MB (glibc's ceiling for the
# mmap threshold) come from the heap, and up to 256 MB of freed heap is kept, so a
# block's memory is reused by the next block instead of being mapped afresh
WORKER_MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20)}


def _client(n_workers: int) -> Any:
    if n_workers not in _clients:
        import logging

        import dask
        import distributed

        # glibc reads these when a process starts, so they go in the environment the
        # nanny spawns workers with; a value already in os.environ would win over the
        # config (distributed's rule, and a nanny started earlier in this process
        # leaves its own there), so os.environ is set too, and restored afterwards
        saved = {k: os.environ.get(k) for k in WORKER_MALLOC_ENV}
        environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **WORKER_MALLOC_ENV}
        os.environ.update(WORKER_MALLOC_ENV)
        try:
            # worker-saturation inf: every block task goes to the workers at once
            # (dask's default 1.1 queues root tasks on the scheduler and sends the next
            # only when one finishes: a scheduler round trip per block, a few ms, which
            # both sides pay but which is a large share of a numdist block's ~8 ms)
            with dask.config.set({"distributed.nanny.pre-spawn-environ": environ,
                                  "distributed.scheduler.worker-saturation": float("inf")}):
                # ":0": any free port for the dashboard (None still tries 8787 in some versions)
                cluster = distributed.LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                                                   dashboard_address=":0", host="127.0.0.1",
                                                   silence_logs=logging.ERROR)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        _clients[n_workers] = distributed.Client(cluster, set_as_default=False)
    return _clients[n_workers]


def worker_malloc_env(client: Any) -> dict[str, dict[str, str | None]]:
    """The glibc settings each worker of ``client`` started with (tests check them)."""
    keys = tuple(WORKER_MALLOC_ENV)
    return client.run(lambda: {k: os.environ.get(k) for k in keys})  # type: ignore[no-any-return]


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
    # Dask's default chunks on both sides (128 MiB: 60 blocks at scale 1), what a user
    # gets. A block's memory: numdist's come from its tile pool (reused, no page faults);
    # dask.array.random's are fresh NumPy arrays each time, mapped and zeroed by the kernel
    # (about 5% of its time here; docs/performance.md has the figures with 256 blocks of
    # 31 MB, under glibc's mmap ceiling, where WORKER_MALLOC_ENV lets both sides reuse)
    chunks = "auto"
    d = nd.Normal(0.0, 1.0)

    def nd_mean(workers: int) -> Any:
        return lambda: _client(workers).compute(ndd.sample(d, (n,), chunks=chunks, rng=0).mean(), sync=True)

    def dask_mean() -> Any:
        return _client(2).compute(da.random.default_rng(0).standard_normal(n, chunks=chunks).mean(), sync=True)

    return [
        Workload(f"dask: mean of {n:.0e} normals, 2-worker LocalCluster", nd_mean(2),
                 {"dask.array.random (2 workers)": dask_mean}, ">= 4x dask.array.random"),
        # the scheduler's work per task, done on the same two cores, is what keeps two
        # workers from twice one (256 blocks: 1.64-1.68x; the default's 60: 1.75-1.79x)
        Workload(f"dask: mean of {n:.0e} normals, 2 workers vs 1", nd_mean(2),
                 {"numdist.dask, 1 worker": nd_mean(1)}, ">= 1.7x"),
    ]
