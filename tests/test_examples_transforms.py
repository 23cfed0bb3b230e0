"""The transform examples run and do what they promise: the SAC-style tanh-squashed
Gaussian policy step (examples/sac_tanh_policy.py) against torch autograd, and
unconstrained VI of a Gamma posterior through biject_to (examples/vi_gamma_biject.py)."""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name):
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _load(name):
    spec = importlib.util.spec_from_file_location(name[:-3], EXAMPLES / name)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sac_policy_step_matches_torch_and_descends():
    pytest.importorskip("torch")
    out = _run("sac_tanh_policy.py")
    assert float(re.search(r"\|J - torch J\| = (\S+)", out).group(1)) < 1e-12
    assert float(re.search(r"gradient = (\S+)", out).group(1)) < 1e-10
    first, last = map(float, re.search(r"first 20 steps: (\S+), last 20 steps: (\S+)", out).groups())
    assert last < first


@pytest.mark.parametrize("seed", [0, 3])
def test_sac_gradient_in_process_against_torch(seed):
    """The same check in-process, on another problem, including draws far in the tails
    (scaled-up policy: |u| up to ~8, where atanh(tanh(u)) would lose digits; the cache keeps them)."""
    pytest.importorskip("torch")
    ex = _load("sac_tanh_policy.py")
    states, W, V, C = ex.problem(seed)
    W = W * 6
    J, gW, gV, eps = ex.actor_step(states, W, V, C, rng=seed + 10)
    tJ, tgW, tgV = ex.torch_actor_step(states, W, V, C, eps)
    assert abs(J - tJ) <= 1e-10 * max(1.0, abs(tJ))
    np.testing.assert_allclose(gW, tgW, rtol=1e-9, atol=1e-9 * np.abs(tgW).max())
    np.testing.assert_allclose(gV, tgV, rtol=1e-9, atol=1e-9 * np.abs(tgV).max())


def test_vi_gamma_converges_to_the_posterior():
    out = _run("vi_gamma_biject.py")
    assert float(re.search(r"relative error of the mean = (\S+)", out).group(1)) < 0.01
    assert float(re.search(r"relative error of the sd = (\S+)", out).group(1)) < 0.05
    first, last = map(float, re.search(r"first 50 steps: (\S+), last 50 steps: (\S+)", out).groups())
    assert last > first


def test_vi_elbo_gradient_matches_torch_autograd():
    """The ELBO gradient of the example, on one set of draws, against torch autograd of the
    same estimator (TransformedDistribution(Normal, ExpTransform), Gamma prior, Poisson
    likelihood) with the same noise."""
    torch = pytest.importorskip("torch")
    D = torch.distributions
    ex = _load("vi_gamma_biject.py")
    x = ex.data()
    m, log_s = 0.7, -1.3
    elbo, g = ex.elbo_and_grad(m, log_s, x, rng=np.random.default_rng(4))
    # the same draws: numdist's Normal noise for this rng
    z = __import__("numdist").Normal(m, np.exp(log_s)).rsample((ex.SAMPLES,), rng=np.random.default_rng(4))
    eps = torch.tensor((z - m) / np.exp(log_s))
    tm = torch.tensor(m, dtype=torch.float64, requires_grad=True)
    tls = torch.tensor(log_s, dtype=torch.float64, requires_grad=True)
    q = D.TransformedDistribution(D.Normal(tm, torch.exp(tls)), [D.transforms.ExpTransform()])
    rate = torch.exp(tm + torch.exp(tls) * eps)
    tx = torch.tensor(x)
    telbo = (tx.sum() * torch.log(rate) - ex.N * rate + D.Gamma(torch.tensor(ex.A0, dtype=torch.float64), torch.tensor(ex.B0, dtype=torch.float64)).log_prob(rate)
             - q.log_prob(rate)).mean()
    tg = torch.autograd.grad(telbo, [tm, tls])
    assert abs(elbo - float(telbo.detach())) <= 1e-10 * abs(float(telbo.detach()))
    np.testing.assert_allclose(g, [float(v) for v in tg], rtol=1e-9)
