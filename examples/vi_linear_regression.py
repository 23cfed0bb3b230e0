"""Variational inference in plain NumPy: fit a mean-field Gaussian to the
posterior of a Bayesian linear regression by stochastic gradient ascent on the
ELBO, with numdist's VJPs in place of autograd.

Model: w ~ N(0, 1/alpha I), y | w ~ N(X w, 1/beta). The exact posterior is
Gaussian with precision Lam = alpha I + beta X^T X and mean m = beta Lam^-1 X^T y;
the best mean-field Gaussian has mean m and standard deviations 1/sqrt(diag Lam).

q(w) = Independent(Normal(mu, exp(log_s)), 1).
ELBO = E_q[log p(y | w)] - KL(q || prior), gradients by reparameterisation:
  rsample_vjp for the likelihood term, kl_divergence_vjp for the KL term.

If torch is installed, the same loop runs with torch autograd on the same
noise draws and the two parameter trajectories are compared.
"""
import numpy as np

import numdist as nd

ALPHA, BETA, N, D = 2.0, 25.0, 200, 3
STEPS, SAMPLES = 3000, 32


def make_data(seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(N, D))
    w_true = np.array([0.5, -1.0, 2.0])
    y = X @ w_true + r.normal(scale=1 / np.sqrt(BETA), size=N)
    return X, y


def analytic_mean_field(X, y):
    lam = ALPHA * np.eye(D) + BETA * X.T @ X
    m = BETA * np.linalg.solve(lam, X.T @ y)
    return m, 1 / np.sqrt(np.diag(lam))


class Adam:
    """The same optimiser for both runs, so only the gradients differ."""

    def __init__(self, lr):
        self.lr, self.t, self.m, self.v = lr, 0, None, None

    def step(self, params, grads):
        self.t += 1
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        lr = self.lr / np.sqrt(1 + self.t / 200)  # decaying step: the noise averages out
        out = []
        for i, (p, g) in enumerate(zip(params, grads)):
            self.m[i] = 0.9 * self.m[i] + 0.1 * g
            self.v[i] = 0.999 * self.v[i] + 0.001 * g * g
            mh, vh = self.m[i] / (1 - 0.9**self.t), self.v[i] / (1 - 0.999**self.t)
            out.append(p + lr * mh / (np.sqrt(vh) + 1e-8))  # ascent
        return out


def fit_numdist(X, y, seed=1):
    rng = nd.random.Xoshiro256x8(seed)
    prior = nd.Independent(nd.Normal(np.zeros(D), np.full(D, 1 / np.sqrt(ALPHA))), 1)
    mu, log_s = np.zeros(D), np.full(D, -1.0)
    opt, trajectory = Adam(0.05), []
    for _ in range(STEPS):
        q = nd.Independent(nd.Normal(mu, np.exp(log_s)), 1)
        w, sample_vjp = q.rsample_vjp((SAMPLES,), rng=rng)              # (S, D)
        resid = y[None, :] - w @ X.T                                     # (S, N)
        dloglik_dw = BETA * resid @ X / SAMPLES                          # d mean_s loglik / d w
        g_lik = sample_vjp(dloglik_dw)
        _, kl_vjp = nd.kl_divergence_vjp(q, prior)
        g_kl = kl_vjp(1.0)["p"]
        g_mu = g_lik["loc"] - g_kl["loc"]
        g_log_s = (g_lik["scale"] - g_kl["scale"]) * np.exp(log_s)       # chain rule through exp
        mu, log_s = opt.step([mu, log_s], [g_mu, g_log_s])
        trajectory.append(np.concatenate([mu, log_s]))
    return mu, np.exp(log_s), np.array(trajectory)


def fit_torch(X, y, seed=1):
    import torch

    rng = nd.random.Xoshiro256x8(seed)  # the same noise stream as fit_numdist
    Xt, yt = torch.tensor(X), torch.tensor(y)
    prior = torch.distributions.Independent(
        torch.distributions.Normal(torch.zeros(D, dtype=torch.float64),
                                   torch.full((D,), 1 / np.sqrt(ALPHA), dtype=torch.float64)), 1)
    mu, log_s = np.zeros(D), np.full(D, -1.0)
    opt, trajectory = Adam(0.05), []
    for _ in range(STEPS):
        eps = nd.random.standard_normal((SAMPLES, D), rng=rng)
        mu_t = torch.tensor(mu, requires_grad=True)
        log_s_t = torch.tensor(log_s, requires_grad=True)
        q = torch.distributions.Independent(torch.distributions.Normal(mu_t, log_s_t.exp()), 1)
        w = mu_t + log_s_t.exp() * torch.tensor(eps)
        loglik = (-0.5 * BETA * ((yt[None, :] - w @ Xt.T) ** 2).sum(-1)).mean()
        elbo = loglik - torch.distributions.kl_divergence(q, prior)
        elbo.backward()
        mu, log_s = opt.step([mu, log_s], [mu_t.grad.numpy(), log_s_t.grad.numpy()])
        trajectory.append(np.concatenate([mu, log_s]))
    return np.array(trajectory)


def main():
    X, y = make_data()
    m, s = analytic_mean_field(X, y)
    mu, sd, traj = fit_numdist(X, y)
    print("analytic mean      ", np.round(m, 4))
    print("fitted mean        ", np.round(mu, 4))
    print("analytic std       ", np.round(s, 4))
    print("fitted std         ", np.round(sd, 4))
    err = max(np.abs(mu - m).max(), np.abs(sd - s).max())
    print(f"max |fitted - analytic| = {err:.2e}")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: trajectory comparison skipped")
        return
    traj_t = fit_torch(X, y)
    print(f"max |numdist - torch autograd| over the trajectory = {np.abs(traj - traj_t).max():.2e}")


if __name__ == "__main__":
    main()
