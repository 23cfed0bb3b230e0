"""Benchmark rows for the MultivariateNormal family (docs/performance.md)."""
from __future__ import annotations

import numpy as np

import numdist as nd
from numdist.benchmarks import Workload, torch_or_none


def _spd(n: int, d: int, seed: int = 0) -> np.ndarray:
    """n well-conditioned d x d covariances."""
    r = np.random.default_rng(seed)
    a = r.normal(size=(n, d, d))
    return a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)


def workloads(scale: float = 1.0) -> list[Workload]:
    torch = torch_or_none()
    rows = []
    d = 4

    # 1e5 different covariances: construct the distribution and draw once from each
    nb = max(int(1e5 * scale), 100)
    covs = _spd(nb, d)
    locs = np.random.default_rng(1).normal(size=(nb, d))
    peers = {}
    if torch is not None:
        tcov, tloc = torch.from_numpy(covs), torch.from_numpy(locs)
        peers["torch MVN(...).rsample()"] = lambda: torch.distributions.MultivariateNormal(
            tloc, covariance_matrix=tcov).rsample()
    rows.append(Workload(f"MVN {nb:.0e} x {d}x{d} covs: construct + 1 draw each",
                         lambda: nd.MultivariateNormal(locs, covariance_matrix=covs).rsample(),
                         peers, ">= 6x torch"))

    # one covariance, 1e6 draws
    n = max(int(1e6 * scale), 1000)
    cov1 = _spd(1, d, seed=2)[0]
    mean1 = np.arange(d, dtype=np.float64)
    gen = np.random.default_rng(0)
    peers = {"numpy mvn(cholesky)": lambda: gen.multivariate_normal(mean1, cov1, size=n, method="cholesky")}
    if torch is not None:
        td = torch.distributions.MultivariateNormal(torch.from_numpy(mean1), covariance_matrix=torch.from_numpy(cov1))
        peers["torch MVN.rsample"] = lambda: td.rsample((n,))
    rows.append(Workload(f"multivariate_normal 1 {d}x{d} cov, {n:.0e} draws",
                         lambda: nd.random.multivariate_normal(mean1, cov1, size=n), peers, ">= 6x numpy"))

    # batched log_prob: 1e5 distributions, one value each
    dist = nd.MultivariateNormal(locs, covariance_matrix=covs)
    values = np.random.default_rng(3).normal(size=(nb, d))
    peers = {}
    if torch is not None:
        tdist = torch.distributions.MultivariateNormal(torch.from_numpy(locs), covariance_matrix=torch.from_numpy(covs))
        tvalues = torch.from_numpy(values)
        peers["torch MVN.log_prob"] = lambda: tdist.log_prob(tvalues)
    rows.append(Workload(f"MVN log_prob {nb:.0e} x {d}x{d}", lambda: dist.log_prob(values), peers, ">= 4x torch"))

    # the same two rows with validate_args=False on both sides: what is left is the
    # glue around the kernels (construction: the factorisation; log_prob: the solve
    # with the factor computed at construction, "cached")
    peers = {}
    if torch is not None:
        peers["torch MVN(..., validate_args=False).rsample()"] = lambda: torch.distributions.MultivariateNormal(
            tloc, covariance_matrix=tcov, validate_args=False).rsample()
    rows.append(Workload(f"MVN {nb:.0e} x {d}x{d} covs: construct + 1 draw, validate_args=False",
                         lambda: nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False).rsample(),
                         peers, ">= 10x torch"))
    dist_nv = nd.MultivariateNormal(locs, covariance_matrix=covs, validate_args=False)
    peers = {}
    if torch is not None:
        tdist_nv = torch.distributions.MultivariateNormal(torch.from_numpy(locs), covariance_matrix=torch.from_numpy(covs),
                                                          validate_args=False)
        peers["torch MVN.log_prob, validate_args=False"] = lambda: tdist_nv.log_prob(tvalues)
    rows.append(Workload(f"MVN cached-factor log_prob {nb:.0e} x {d}x{d}, validate_args=False",
                         lambda: dist_nv.log_prob(values), peers, ">= 10x torch"))
    return rows
