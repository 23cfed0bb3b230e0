"""Smoke test against the oldest supported numpy (.ci/run): import, every family
samples and scores, every functional sampler draws. Exits non-zero on failure."""
import sys

import numpy as np

import numdist as nd

want = sys.argv[1] if len(sys.argv) > 1 else None
if want and not np.__version__.startswith(want):
    sys.exit(f"smoke: expected numpy {want}.*, got {np.__version__}")

cov = np.array([[2.0, 0.3], [0.3, 1.0]])
families = [
    nd.Normal(np.zeros(3), 1.0),
    nd.Independent(nd.Normal(np.zeros((2, 3)), 2.0), 1),
    nd.MultivariateNormal(np.zeros(2), covariance_matrix=cov),
    nd.MultivariateNormal(np.zeros((4, 2)), precision_matrix=np.linalg.inv(cov)),
    nd.MultivariateNormal(np.zeros(2), scale_tril=np.linalg.cholesky(cov)),
    nd.Categorical(probs=np.array([0.2, 0.3, 0.5])),
    nd.Categorical(logits=np.zeros((4, 3))),
    nd.OneHotCategorical(probs=np.array([0.2, 0.8])),
    nd.RelaxedOneHotCategorical(0.5, logits=np.zeros(3)),
    nd.Uniform(-1.0, np.array([1.0, 2.0])),
    nd.Exponential(np.array([0.5, 2.0])),
    nd.Laplace(0.0, np.array([1.0, 3.0])),
    nd.Cauchy(0.0, 1.0),
    nd.Gumbel(1.0, 2.0),
    nd.Bernoulli(probs=np.array([0.3, 0.7])),
    nd.Geometric(probs=np.array([0.3, 0.7])),
    nd.Normal(np.zeros(3, np.float32), np.float32(1.0)),
    nd.Gamma(np.array([0.3, 2.5]), 1.0),
    nd.Chi2(3.0),
    nd.Beta(0.5, np.array([0.5, 2.0])),
    nd.Dirichlet(np.ones((2, 3))),
    nd.StudentT(4.0, 0.0, 2.0),
    nd.LogNormal(np.zeros(3), 0.5),
    nd.HalfNormal(np.array([1.0, 2.0])),
    nd.Weibull(1.5, np.array([0.8, 2.0])),
    nd.LogisticNormal(np.zeros(3), 1.0),
    nd.TransformedDistribution(nd.Normal(np.zeros(2), 1.0), [nd.transforms.TanhTransform()]),
    nd.Poisson(np.array([0.5, 3.7, 4000.0])),
    nd.NegativeBinomial(np.array([0.5, 50.0]), logits=np.float32(0.3)),
    nd.Binomial(np.array([5.0, 1e12]), probs=0.3),
    nd.Multinomial(50, logits=np.zeros((2, 4))),
    nd.TruncatedNormal(0.0, 1.0, np.array([-1.0, 8.0]), np.array([2.0, 9.0])),
    nd.MixtureSameFamily(nd.Categorical(logits=np.zeros(3)), nd.Normal(np.array([-1.0, 0.0, 1.0]), 1.0)),
    nd.LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), np.ones(3)),
]
for d in families:
    x = d.sample((1000,), rng=0)
    assert x.shape == (1000,) + d.batch_shape + d.event_shape, (type(d).__name__, x.shape)
    lp = d.log_prob(x)
    assert np.isfinite(lp).all(), type(d).__name__
    if d.has_rsample:
        x, vjp = d.rsample_vjp((10,), rng=1)
        vjp(np.ones_like(x))
    lp, vjp = d.log_prob_vjp(x[:10])
    vjp(np.ones_like(lp))
print(nd.kl_divergence(nd.Normal(0.0, 1.0), nd.Normal(1.0, 2.0)))
for name in nd.random.__all__:
    if name in ("Xoshiro256x8", "default_rng"):
        continue
    fn = getattr(nd.random, name)
    args = {"multivariate_normal": (np.zeros(2), cov), "categorical": ([0.5, 0.5],), "geometric": (0.5,),
            "standard_gamma": (2.5,), "gamma": (2.5, 2.0), "beta": (0.5, 0.5), "dirichlet": ([1.0, 2.0],),
            "chisquare": (3.0,), "standard_t": (4.0,), "weibull": (1.5,), "poisson": (3.7,),
            "negative_binomial": (3.0, 0.4), "binomial": (10, 0.3), "multinomial": (10, [0.2, 0.8])}.get(name, ())
    r = fn(*args, size=100, rng=2)
    assert np.shape(r)[0] == 100, name
g = nd.random.default_rng(3)
assert g.standard_normal(5).shape == (5,)
print(f"smoke ok: numpy {np.__version__}, {len(families)} families, numdist {nd.__file__}")
