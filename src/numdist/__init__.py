"""numdist: probability distributions over NumPy arrays.

torch.distributions semantics (batch/event shapes, sample/rsample, log_prob,
KL registry), C kernels for sampling, and analytic vector-Jacobian products
(``*_vjp``) for every differentiable quantity.
"""
from numdist import constraints, random
from numdist._common import get_num_threads, set_num_threads
from numdist._rng import manual_seed
from numdist.alias import AliasTable
from numdist.bernoulli import Bernoulli
from numdist.binomial import Binomial
from numdist.beta import Beta
from numdist.categorical import Categorical
from numdist.cauchy import Cauchy
from numdist.chi2 import Chi2
from numdist.dirichlet import Dirichlet
from numdist.distribution import Distribution, set_default_validate_args
from numdist.exponential import Exponential
from numdist.gamma import Gamma
from numdist.geometric import Geometric
from numdist.gumbel import Gumbel
from numdist.independent import Independent
from numdist.kl import kl_divergence, kl_divergence_vjp, register_kl, register_kl_vjp
from numdist.laplace import Laplace
from numdist.multinomial import Multinomial
from numdist.multivariate_normal import MultivariateNormal
from numdist.negative_binomial import NegativeBinomial
from numdist.normal import Normal
from numdist.one_hot_categorical import OneHotCategorical
from numdist.poisson import Poisson
from numdist.relaxed_categorical import RelaxedOneHotCategorical
from numdist.student_t import StudentT
from numdist.uniform import Uniform
from numdist import transforms
from numdist.transformed_distribution import TransformedDistribution
from numdist.log_normal import LogNormal
from numdist.half_normal import HalfNormal
from numdist.half_cauchy import HalfCauchy
from numdist.weibull import Weibull
from numdist.logistic_normal import LogisticNormal
from numdist.constraint_registry import biject_to, transform_to
from numdist.truncated_normal import TruncatedNormal
from numdist.mixture_same_family import MixtureSameFamily
from numdist.lowrank_multivariate_normal import LowRankMultivariateNormal

__version__ = "0.3.0"

__all__ = [
    "Distribution", "AliasTable", "Normal", "MultivariateNormal", "Independent", "Categorical", "OneHotCategorical", "RelaxedOneHotCategorical",
    "Uniform", "Exponential", "Laplace", "Cauchy", "Gumbel", "Bernoulli", "Geometric",
    "Gamma", "Chi2", "Beta", "Dirichlet", "StudentT",
    "Poisson", "NegativeBinomial",
    "Binomial", "Multinomial",
    "TruncatedNormal", "MixtureSameFamily", "LowRankMultivariateNormal",
    "kl_divergence", "kl_divergence_vjp", "register_kl", "register_kl_vjp",
    "set_default_validate_args", "manual_seed", "set_num_threads", "get_num_threads", "constraints", "random", "__version__",
]
__all__ += ["TransformedDistribution", "LogNormal", "HalfNormal", "HalfCauchy", "Weibull", "LogisticNormal",
            "biject_to", "transform_to", "transforms"]
