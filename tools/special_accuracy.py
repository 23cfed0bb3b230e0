"""Accuracy of the implicit reparameterisation gradients, numdist vs torch, against
mpmath at 40 digits: Gamma dz/da (torch._standard_gamma_grad) and Beta dx/da, dx/db
(torch._dirichlet_grad on the 2-dim Dirichlet (x, 1-x) with concentrations (a, b)).

    python tools/special_accuracy.py
"""
import mpmath as mp
import numpy as np
import torch
from scipy import special as sc

from numdist import _special as S

mp.mp.dps = 40
QS = [1e-10, 1e-6, 1e-3, 0.05, 0.3, 0.5, 0.7, 0.95, 1 - 1e-3, 1 - 1e-6, 1 - 1e-10]


def rel(v, r):
    return float(abs(v - r) / abs(r))


def gamma_rows():
    print("Gamma dz/da: max relative error over quantiles 1e-10 .. 1-1e-10")
    print(f"{'a':>8} {'numdist':>10} {'torch':>10}")
    for a in [1e-3, 1e-2, 0.1, 0.3, 1.0, 2.5, 10.0, 40.0, 100.0, 1e3, 1e4]:
        zs = np.array([sc.gammaincinv(a, q) for q in QS])
        zs = zs[(zs > 1e-300) & np.isfinite(zs)]
        ours = S.gamma_sample_grad(a, zs)
        th = torch._standard_gamma_grad(torch.full((zs.size,), a, dtype=torch.float64),
                                        torch.tensor(zs)).numpy()
        eo = et = 0.0
        for i, z in enumerate(zs):
            A, Z = mp.mpf(a), mp.mpf(z)
            dP = mp.diff(lambda s: mp.gammainc(s, 0, Z, regularized=True), A)
            ref = -dP / mp.exp((A - 1) * mp.log(Z) - Z - mp.loggamma(A))
            eo = max(eo, rel(ours[i], ref))
            et = max(et, rel(th[i], ref))
        print(f"{a:>8g} {eo:>10.1e} {et:>10.1e}")


def beta_rows():
    print("Beta dx/da, dx/db: max relative error over quantiles 1e-10 .. 1-1e-10")
    print(f"{'(a, b)':>14} {'numdist':>10} {'torch':>10}")
    for a, b in [(0.3, 0.3), (1.0, 2.0), (5.0, 0.7), (40.0, 60.0), (1e-3, 1e-3), (2.0, 2.0)]:
        xs = np.array([sc.betaincinv(a, b, q) for q in QS])
        xs = xs[(xs > 1e-300) & (xs < 1)]
        ga, gb = S.beta_sample_grad(a, b, xs)
        X = torch.tensor(np.stack([xs, 1 - xs], -1))
        al = torch.tensor([[a, b]], dtype=torch.float64).expand_as(X).contiguous()
        tot = al.sum(-1, keepdim=True).expand_as(X).contiguous()
        # torch's Dirichlet backward: grad_alpha = D * (g - (x . g)), D = _dirichlet_grad;
        # Beta.rsample selects x0, so g = (1, 0): dx/da = D0 (1 - x), dx/db = -D1 x
        D = torch._dirichlet_grad(X, al, tot).numpy()
        tg = np.stack([D[:, 0] * (1 - xs), -D[:, 1] * xs], -1)
        eo = et = 0.0
        for i, x in enumerate(xs):
            A, B, Xm = mp.mpf(a), mp.mpf(b), mp.mpf(x)
            Ia = mp.diff(lambda s: mp.betainc(s, B, 0, Xm, regularized=True), A)
            Ib = mp.diff(lambda s: mp.betainc(A, s, 0, Xm, regularized=True), B)
            p = mp.exp((A - 1) * mp.log(Xm) + (B - 1) * mp.log1p(-Xm) - mp.log(mp.beta(A, B)))
            ra, rb = -Ia / p, -Ib / p
            eo = max(eo, rel(ga[i], ra), rel(gb[i], rb))
            et = max(et, rel(tg[i, 0], ra), rel(tg[i, 1], rb))
        print(f"{str((a, b)):>14} {eo:>10.1e} {et:>10.1e}")


if __name__ == "__main__":
    gamma_rows()
    beta_rows()
