"""A SAC-style policy step in plain NumPy: a tanh-squashed Gaussian policy, its
sample, its log-probability with the tanh log-det correction, and the actor
gradient, with numdist's VJPs in place of autograd.

Policy: u ~ Normal(s @ W, exp(s @ V)) per action dimension, a = tanh(u), i.e.
pi = TransformedDistribution(Independent(Normal(.), 1), [TanhTransform(cache_size=1)]);
log pi(a | s) = sum_j [log N(u_j) - 2 (log 2 - u_j - softplus(-2 u_j))], which every RL
library writes by hand. Critic (fixed, for the example): Q(s, a) = -|a - tanh(s @ C)|^2.
Actor loss (SAC): J = mean_b [alpha log pi(a_b | s_b) - Q(s_b, a_b)], a_b = rsample.

Gradient of J with respect to W and V:
  a, rs_vjp = pi.rsample_vjp(rng=...)       # a and d a / d (loc, scale)
  lp, lp_vjp = pi.log_prob_vjp(a)           # log pi and d log pi / d (loc, scale, value)
  g = lp_vjp(alpha / B)                     # direct part
  g_rs = rs_vjp(dJ/da + g["value"])         # through the draw
  d loc = g["loc"] + g_rs["loc"], d scale = g["scale"] + g_rs["scale"], then the chain
  rule through loc = s @ W and scale = exp(s @ V).

If torch is installed, the same step runs with torch autograd (TanhTransform(cache_size=1),
the same noise) and the gradients are compared; then a few steps of gradient descent.
"""
import numpy as np

import numdist as nd
from numdist.transforms import TanhTransform

B, S, A, ALPHA = 64, 5, 3, 0.2


def problem(seed=0):
    r = np.random.default_rng(seed)
    states = r.normal(size=(B, S))
    W, V, C = r.normal(size=(S, A)) * 0.3, r.normal(size=(S, A)) * 0.1, r.normal(size=(S, A)) * 0.5
    return states, W, V, C


def policy(states, W, V):
    loc, scale = states @ W, np.exp(states @ V)
    return nd.TransformedDistribution(nd.Independent(nd.Normal(loc, scale), 1), [TanhTransform(cache_size=1)]), scale


def actor_step(states, W, V, C, rng):
    """J and dJ/dW, dJ/dV; also returns the pre-tanh noise for the torch check."""
    pi, scale = policy(states, W, V)
    a, rs_vjp = pi.rsample_vjp(rng=rng)
    lp, lp_vjp = pi.log_prob_vjp(a)
    target = np.tanh(states @ C)
    q = -((a - target) ** 2).sum(-1)
    J = np.mean(ALPHA * lp - q)
    g = lp_vjp(np.full(lp.shape, ALPHA / B))
    dJ_da = 2 * (a - target) / B
    g_rs = rs_vjp(dJ_da + g["value"])
    d_loc, d_scale = g["loc"] + g_rs["loc"], g["scale"] + g_rs["scale"]
    u = pi.transforms[0].inv(a)  # cached: the exact pre-tanh draw
    eps = (u - states @ W) / scale
    return J, states.T @ d_loc, states.T @ (d_scale * scale), eps


def torch_actor_step(states, W, V, C, eps):
    import torch

    D = torch.distributions
    s = torch.tensor(states)
    tW, tV = torch.tensor(W, requires_grad=True), torch.tensor(V, requires_grad=True)
    loc, scale = s @ tW, torch.exp(s @ tV)
    tanh = D.transforms.TanhTransform(cache_size=1)
    pi = D.TransformedDistribution(D.Independent(D.Normal(loc, scale), 1), [tanh])
    a = tanh(loc + scale * torch.tensor(eps))  # pi.rsample() with our noise
    lp = pi.log_prob(a)
    q = -((a - torch.tanh(s @ torch.tensor(C))) ** 2).sum(-1)
    J = (ALPHA * lp - q).mean()
    gW, gV = torch.autograd.grad(J, [tW, tV])
    return float(J.detach()), gW.numpy(), gV.numpy()


def main():
    states, W, V, C = problem()
    J, gW, gV, eps = actor_step(states, W, V, C, rng=1)
    print(f"actor loss J = {J:.6f}")
    try:
        tJ, tgW, tgV = torch_actor_step(states, W, V, C, eps)
    except ImportError:
        print("torch not installed: no comparison")
    else:
        rel = max(np.abs(gW - tgW).max() / np.abs(tgW).max(), np.abs(gV - tgV).max() / np.abs(tgV).max())
        print(f"|J - torch J| = {abs(J - tJ):.3e}")
        print(f"max relative |numdist - torch autograd| gradient = {rel:.3e}")
    rng = np.random.default_rng(5)
    losses = []
    for _ in range(200):
        J, gW, gV, _ = actor_step(states, W, V, C, rng=rng)
        W, V = W - 0.5 * gW, V - 0.5 * gV
        losses.append(J)
    print(f"actor loss, first 20 steps: {np.mean(losses[:20]):.4f}, last 20 steps: {np.mean(losses[-20:]):.4f}")


if __name__ == "__main__":
    main()
