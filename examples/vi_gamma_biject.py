"""Unconstrained variational inference through ``biject_to``, in plain NumPy.

Model: rate ~ Gamma(A0, B0), counts x_i | rate ~ Poisson(rate), i = 1..N. The
posterior is Gamma(A0 + sum x, B0 + N), known in closed form.

Variational family: rate = t(z), z ~ Normal(m, exp(log_s)), with
t = biject_to(Gamma.arg_constraints["rate"]) (exp onto the positive reals), so
q = TransformedDistribution(Normal(m, s), [t]) and m, log_s are unconstrained.
ELBO(m, log_s) = E_q[log p(x | rate) + log p(rate) - log q(rate)], its gradient by
reparameterisation: q.rsample_vjp gives rate and d rate / d(m, s); q.log_prob_vjp gives
d log q / d(m, s, rate); the model's d/d rate is written by hand (or from
Gamma.log_prob_vjp). Gradient ascent (Adam, step size decaying, iterates of the second half averaged)
from a poor start converges to the q closest to the posterior; the printout compares q's mean and standard deviation
with the posterior's.
"""
import numpy as np

import numdist as nd

A0, B0, N, RATE = 2.0, 0.5, 40, 3.2
STEPS, SAMPLES, LR = 2000, 64, 0.05


def data(seed=0):
    return np.random.default_rng(seed).poisson(RATE, size=N).astype(float)


def elbo_and_grad(m, log_s, x, rng):
    t = nd.biject_to(nd.Gamma.arg_constraints["rate"])
    s = np.exp(log_s)
    q = nd.TransformedDistribution(nd.Normal(m, s), [t])
    rate, rs_vjp = q.rsample_vjp((SAMPLES,), rng=rng)
    lq, lq_vjp = q.log_prob_vjp(rate)
    prior_lp, prior_vjp = nd.Gamma(A0, B0).log_prob_vjp(rate)
    loglik = x.sum() * np.log(rate) - N * rate  # Poisson, up to a constant
    elbo = np.mean(loglik + prior_lp - lq)
    w = np.full(rate.shape, 1.0 / SAMPLES)
    g_lq = lq_vjp(-w)  # the entropy term: direct part
    d_rate = w * (x.sum() / rate - N) + prior_vjp(w)["value"] + g_lq["value"]
    g_rs = rs_vjp(d_rate)  # through the draws
    d_m = g_rs["loc"] + g_lq["loc"]
    d_s = g_rs["scale"] + g_lq["scale"]
    return elbo, np.array([d_m, d_s * s])  # chain rule through s = exp(log_s)


def fit(x, seed=1):
    theta = np.array([-1.0, 0.5])  # m, log_s: far from the posterior
    mom, vel = np.zeros(2), np.zeros(2)
    rng = np.random.default_rng(seed)
    history, tail = [], []
    for k in range(1, STEPS + 1):
        elbo, g = elbo_and_grad(theta[0], theta[1], x, rng)
        mom = 0.9 * mom + 0.1 * g
        vel = 0.999 * vel + 0.001 * g * g
        lr = LR * min(1.0, (STEPS / 4) / k)  # decaying in the second part: the iterates settle
        theta = theta + lr * (mom / (1 - 0.9**k)) / (np.sqrt(vel / (1 - 0.999**k)) + 1e-8)
        history.append(elbo)
        if k > STEPS // 2:
            tail.append(theta)
    return np.mean(tail, axis=0), history  # the average of the last half of the iterates


def main():
    x = data()
    a, b = A0 + x.sum(), B0 + N
    theta, history = fit(x)
    m, s = theta[0], np.exp(theta[1])
    q_mean = np.exp(m + s**2 / 2)
    q_sd = np.sqrt(np.expm1(s**2)) * q_mean
    print(f"posterior Gamma({a:.1f}, {b:.1f}): mean {a / b:.5f}, sd {np.sqrt(a) / b:.5f}")
    print(f"fitted q: mean {q_mean:.5f}, sd {q_sd:.5f}")
    print(f"relative error of the mean = {abs(q_mean - a / b) / (a / b):.3e}")
    print(f"relative error of the sd = {abs(q_sd - np.sqrt(a) / b) / (np.sqrt(a) / b):.3e}")
    print(f"ELBO, first 50 steps: {np.mean(history[:50]):.4f}, last 50 steps: {np.mean(history[-50:]):.4f}")


if __name__ == "__main__":
    main()
