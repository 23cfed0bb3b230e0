"""numdist._special, the Gamma/Beta family (csrc/special_gamma.c, special_beta.c):
values and shape-derivatives against mpmath at 40 digits, large grids against
scipy.special, and the implicit reparameterisation gradients -(dF/da)/p.

Tolerances: 1e-13 relative for values and derivatives, 1e-10 for the sample
gradients (DESIGN section 8), except where stated at the test (conditioning of
the function itself, not of the method)."""
import numpy as np
import pytest
from scipy import special as sc

from numdist import _special as S

mp = pytest.importorskip("mpmath")
mp.mp.dps = 40

QS = [1e-10, 1e-6, 1e-3, 0.05, 0.3, 0.5, 0.7, 0.95, 1 - 1e-3, 1 - 1e-6, 1 - 1e-10]
GAMMA_A = np.logspace(-4, 4, 17)
BETA_PAIRS = [(0.3, 0.3), (1.0, 2.0), (5.0, 0.7), (40.0, 60.0), (1e-3, 1e-3), (0.01, 3.0),
              (2.0, 2.0), (200.0, 0.5), (1e3, 1e3)]


def rel(ours, ref):
    ref = float(ref)
    if np.isinf(ref) and ours == ref:
        return 0.0
    return abs(ours - ref) / abs(ref) if ref != 0 else abs(ours)


# ---------------------------------------------------------------- gamma family

def test_lgamma_digamma_trigamma_positive():
    xs = np.concatenate([np.logspace(-6, 5, 120), np.linspace(0.5, 30, 237),
                         [1.0, 2.0, 1.4616321449683622, 1e-300, 3.5, 9.999999, 10.0]])
    lg, dg, tg = S.lgamma(xs), S.digamma(xs), S.trigamma(xs)
    for i, x in enumerate(xs):
        X = mp.mpf(x)
        if x not in (1.0, 2.0):
            assert rel(lg[i], mp.loggamma(X)) <= 1e-13, x
        assert rel(dg[i], mp.digamma(X)) <= 1e-13, x
        assert rel(tg[i], mp.polygamma(1, X)) <= 1e-13, x
    assert S.lgamma(1.0) == 0.0 and S.lgamma(2.0) == 0.0
    # relative accuracy next to the zeros of lgamma and at the root of psi
    for x in (1 + 1e-9, 2 - 1e-9, 1.4616321449683622, 1.46163214496836):
        assert rel(float(S.lgamma(x)), mp.loggamma(mp.mpf(x))) <= 1e-13
        assert rel(float(S.digamma(x)), mp.digamma(mp.mpf(x))) <= 1e-12


def test_negative_arguments_and_poles_as_scipy():
    x = np.linspace(-10.3, -0.05, 200)
    x = x[np.abs(x - np.round(x)) > 1e-3]
    # away from the zeros of the functions (reflection formula: absolute error ~1e-15)
    np.testing.assert_allclose(S.lgamma(x), sc.gammaln(x), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(S.digamma(x), sc.digamma(x), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(S.trigamma(x), sc.polygamma(1, x), rtol=1e-12)
    special_pts = np.array([0.0, -0.0, -1.0, -3.0, np.inf, np.nan])
    np.testing.assert_array_equal(S.digamma(special_pts), sc.digamma(special_pts))
    np.testing.assert_array_equal(S.lgamma(special_pts[:5]), sc.gammaln(special_pts[:5]))
    np.testing.assert_array_equal(S.trigamma(special_pts), sc.polygamma(1, special_pts))


def _gamma_points(amin=1e-4):
    for a in GAMMA_A[GAMMA_A >= amin]:
        for q in QS:
            x = float(sc.gammaincinv(a, q))
            if x > 1e-300 and np.isfinite(x):  # subnormal points: too few digits to compare
                yield float(a), x


def _gamma_refs(a, x):
    A, X = mp.mpf(a), mp.mpf(x)
    P = mp.gammainc(A, 0, X, regularized=True)
    Q = mp.gammainc(A, X, mp.inf, regularized=True)
    dP = mp.diff(lambda s: mp.gammainc(s, 0, X, regularized=True), A)
    logp = (A - 1) * mp.log(X) - X - mp.loggamma(A)
    return P, Q, dP, -dP / mp.exp(logp)


def test_gammainc_and_da_against_mpmath():
    pts = list(_gamma_points())
    a = np.array([p[0] for p in pts])
    x = np.array([p[1] for p in pts])
    P, Q, dP = S.gammainc(a, x), S.gammaincc(a, x), S.gammainc_da(a, x)
    for i, (ai, xi) in enumerate(pts):
        rP, rQ, rdP, _ = _gamma_refs(ai, xi)
        assert rel(P[i], rP) <= 1e-13, (ai, xi)
        assert rel(Q[i], rQ) <= 1e-13, (ai, xi)
        assert rel(dP[i], rdP) <= 1e-13, (ai, xi)


def test_gamma_sample_grad_against_mpmath():
    """DESIGN section 8: dz/da = -(dP/da)/p to 1e-10, concentrations 1e-3 .. 1e4."""
    pts = list(_gamma_points(1e-3)) + [(1e5, 1e5 - 300.0), (1e5, 1e5 + 5.0), (0.001, 1e-250)]
    a = np.array([p[0] for p in pts])
    z = np.array([p[1] for p in pts])
    g = S.gamma_sample_grad(a, z)
    worst = 0.0
    for i, (ai, zi) in enumerate(pts):
        worst = max(worst, rel(g[i], _gamma_refs(ai, zi)[3]))
    assert worst <= 1e-12  # well inside the 1e-10 of DESIGN section 8


def _grad_ref(a, x):
    """-(dP/da)/p at 40 digits; through Q above the median (P ~ 1 loses the digits there)."""
    A, X = mp.mpf(a), mp.mpf(x)
    logp = (A - 1) * mp.log(X) - X - mp.loggamma(A)
    if X > A:
        return mp.diff(lambda s: mp.gammainc(s, X, mp.inf, regularized=True), A) / mp.exp(logp)
    # P = x^a e^-x / Gamma(a+1) 1F1(1; a+1; x) (mpmath's gammainc gives up at a ~ 1e5)
    def P(s):
        return mp.exp(s * mp.log(X) - X - mp.loggamma(s + 1)) * mp.hyp1f1(1, s + 1, X, maxterms=10**6)
    return -mp.diff(P, A) / mp.exp(logp)


def _region_boundary_points():
    """(a, z) on both sides of every boundary between the methods of
    nd_gamma_sample_grad_fill (csrc/special_gamma.c): series | fraction at
    z = a + 1 + sqrt(a) and z = 1.1; series | tiny-z rule at z = 1e-20 (down to
    the smallest normal); vector | scalar at a = 1e-4 and a = 1e5; Temme at a = 30
    and z/a = 0.52, 1.7, and z = a exactly (its 0/0)."""
    up, down = 1 + 2e-15, 1 - 2e-15
    pts = []
    for a in (1e-4, 0.05, 0.5, 1.0, 2.5, 5.0, 12.0, 29.0, 29.99, 60.0, 1e3):
        b = a + 1 + np.sqrt(a)
        pts += [(a, b * down), (a, b * up)]
        if b < 1.1:
            pts += [(a, 1.1 * down), (a, 1.1 * up)]
    for a in (1e-4 * down, 1e-4 * up, 0.02, 3.0, 5e4):
        pts += [(a, 1e-20 * down), (a, 1e-20 * up), (a, 0.3), (a, 2.0)]
    tiny = np.finfo(float).tiny  # where draws are clamped (torch's rule); lanes scale by 2^64
    pts += [(1e-3, tiny), (0.02, 2 * tiny), (7.0, 1e-300), (1e-4 * up, tiny), (1e-4 * down, tiny)]
    for a in (30 * down, 30.0, 30 * up, 31.0, 250.0, 1e4):
        for lam in (0.52 * down, 0.52 * up, 1.7 * down, 1.7 * up, 1.0, 1 + 1e-12, 1 - 1e-12, 0.8, 1.25):
            pts.append((a, a * lam))
        pts += [(a, a - 0.5 * np.sqrt(a)), (a, a + 2.0 * np.sqrt(a))]
    for a in (1e5 * down, 1e5 * up):  # below the median only: mpmath's Q gives up at a ~ 1e5
        pts += [(a, a * 0.52 * down), (a, a * 0.52 * up), (a, a * (1 - 1e-12)), (a, a - 3 * np.sqrt(a))]
    return pts


def test_gamma_sample_grad_region_boundaries_against_mpmath():
    """Every method of the vectorised fill, at and across its region boundaries."""
    pts = _region_boundary_points()
    a = np.array([p[0] for p in pts])
    z = np.array([p[1] for p in pts])
    g = S.gamma_sample_grad(a, z)
    worst = max(rel(g[i], _grad_ref(ai, zi)) for i, (ai, zi) in enumerate(pts))
    assert worst <= 1e-13


def test_gamma_sample_grad_random_against_mpmath():
    """Draws of Gamma(a), a log-uniform over 1e-4 .. 3e4 (all regions, as they occur)."""
    rng = np.random.default_rng(7)
    a = np.exp(rng.uniform(np.log(1e-4), np.log(3e4), 120))
    z = np.maximum(rng.standard_gamma(a), 1e-300)
    g = S.gamma_sample_grad(a, z)
    worst = max(rel(g[i], _grad_ref(ai, zi)) for i, (ai, zi) in enumerate(zip(a, z)))
    assert worst <= 1e-13


def test_gamma_sample_grad_huge_concentrations():
    """a up to the largest double: the Temme rule's a -> inf limit,
    dz/da = lambda (1 - eta^2 / (2 (lambda - 1))), holds to rounding (the next
    term is O(1/a)); 1/a is subnormal above 2^1022."""
    for a in (1e200, 1e305, 1.6e308):
        for lam in (0.6, 0.9, 1.0, 1.1, 1.6):
            if not np.isfinite(a * lam):
                continue
            got = float(S.gamma_sample_grad(a, a * lam))
            L = mp.mpf(a * lam) / mp.mpf(a)
            ref = 1 if L == 1 else L * (1 - (L - 1 - mp.log(L)) / (L - 1))
            assert rel(got, ref) <= 1e-14, (a, lam)


def test_gamma_sample_grad_elementwise_independent():
    """An element's value depends on its own (a, z) only: the same bits alone, in
    another order (other lane neighbours, other region groups), through strided and
    broadcast inputs, on two threads, and scaled (g * dz/da / rate)."""
    import numdist

    rng = np.random.default_rng(3)
    n = 70000  # several blocks, and above the parallel threshold
    a = np.exp(rng.uniform(np.log(1e-4), np.log(1e5), n))
    z = np.maximum(rng.standard_gamma(a), 1e-300)
    z[::97] = np.nan
    z[1::89] = 0.0
    z[2::83] = np.inf
    a[3::79] = -1.0
    ref = S.gamma_sample_grad(a, z)
    perm = rng.permutation(n)
    np.testing.assert_array_equal(S.gamma_sample_grad(a[perm], z[perm]), ref[perm])
    for i in rng.integers(0, n, 300):
        np.testing.assert_array_equal(S.gamma_sample_grad(a[i], z[i]), ref[i])
    a2 = np.repeat(a[:, None], 2, axis=1)[:, 1]  # strided view
    np.testing.assert_array_equal(S.gamma_sample_grad(a2[::-1], z[::-1]), ref[::-1])
    np.testing.assert_array_equal(S.gamma_sample_grad(2.5, z[:100]), S.gamma_sample_grad(np.full(100, 2.5), z[:100]))
    saved = numdist.get_num_threads()
    try:
        numdist.set_num_threads(2)
        np.testing.assert_array_equal(S.gamma_sample_grad(a, z), ref)
    finally:
        numdist.set_num_threads(saved)
    g, rate = rng.normal(size=n), rng.uniform(0.5, 2.0, n)
    np.testing.assert_array_equal(S.gamma_sample_grad_scaled(a, z, g, rate), g * ref / rate)
    np.testing.assert_array_equal(S.gamma_sample_grad_scaled(a, z, 1.0, 1.0), ref)
    assert S.gamma_sample_grad_scaled(a[:0], z[:0], 1.0, 1.0).shape == (0,)
    bad = ~(a > 0) | ~(z >= 0)
    assert np.isnan(ref[bad]).all() and np.isfinite(ref[~bad & np.isfinite(z) & (z > 0)]).all()


def test_gamma_sample_grad_plain_blocks_same_bits_and_accurate():
    """Blocks of plain series/fraction elements (1e-4 <= a < 30, finite z: the
    benchmark's population) take a leaner classifier, and a bucket's groups of
    lanes run two at a time: the same element gives the same bits alone, in
    another order, and in a block that the full classifier serves (one NaN in
    it); and the values hold against mpmath there."""
    rng = np.random.default_rng(11)
    n = 6000  # several blocks of 1024, buckets with many groups
    a = rng.permutation(np.linspace(0.5, 5.0, n))
    z = rng.standard_gamma(a)
    ref = S.gamma_sample_grad(a, z)
    perm = rng.permutation(n)
    np.testing.assert_array_equal(S.gamma_sample_grad(a[perm], z[perm]), ref[perm])
    for i in rng.integers(0, n, 200):
        np.testing.assert_array_equal(S.gamma_sample_grad(a[i], z[i]), ref[i])
    z_mixed = z.copy()
    z_mixed[::1000] = np.nan  # every block now has a non-plain element
    got = S.gamma_sample_grad(a, z_mixed)
    keep = np.isfinite(z_mixed)
    np.testing.assert_array_equal(got[keep], ref[keep])
    assert np.isnan(got[~keep]).all()
    # both cotangents of rsample_vjp's backward, unit rate, through the same blocks
    g = rng.normal(size=n)
    dconc, drate = S.gamma_rsample_grads(a, z, g, np.ones(n))
    np.testing.assert_array_equal(dconc, g * ref)
    np.testing.assert_array_equal(drate, -(g * z))
    idx = rng.choice(n, 25, replace=False)
    worst = max(rel(ref[i], _grad_ref(a[i], z[i])) for i in idx)
    assert worst <= 1e-13


def test_gamma_sample_grad_broadcast_parameters_are_not_copied():
    """A parameter broadcast over leading dims (a batch parameter under a sample
    shape) is read periodically, not copied out: the call allocates about its output
    only; mid-dimension broadcasts (copied) give the same values."""
    import tracemalloc

    rng = np.random.default_rng(11)
    conc, rate = rng.uniform(0.5, 5.0, 2000), rng.uniform(0.5, 2.0, (1, 2000))
    z = rng.standard_gamma(np.broadcast_to(conc, (300, 2000)))
    g = rng.normal(size=(300, 1, 2000))[:, 0]
    tracemalloc.start()
    try:
        out = S.gamma_sample_grad_scaled(conc, z, g, rate)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.1 * out.nbytes
    full = [np.array(np.broadcast_to(v, z.shape)) for v in (conc, g, rate)]
    np.testing.assert_array_equal(out, full[1] * S.gamma_sample_grad(full[0], z) / full[2])
    a3 = rng.uniform(0.5, 40.0, (3, 1, 4))
    z3 = rng.standard_gamma(np.broadcast_to(a3, (2, 3, 5, 4)))
    np.testing.assert_array_equal(S.gamma_sample_grad(a3, z3),
                                  S.gamma_sample_grad(np.array(np.broadcast_to(a3, z3.shape)), z3))


def test_temme_coefficients_are_generated():
    """csrc/special_gamma_temme.h is what tools/gen_gamma_temme.py writes (exact
    rational arithmetic), and its c_k(0) are Temme's known values."""
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, str(root / "tools" / "gen_gamma_temme.py"), "--check"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (root / "csrc" / "special_gamma_temme.h").read_text()
    # c_0(0) = -1/3, c_1(0) = -1/540, c_2(0) = 25/6048 (the constant terms of the Horner forms)
    for k, c0 in ((0, -1 / 3), (1, -1 / 540), (2, 25 / 6048)):
        body = text.split(f"gt_c{k}(double e)")[1].split(";")[0]
        assert body.rstrip().endswith(repr(c0)), (k, body[-40:])


def test_gammainc_against_scipy_large_grid():
    a = np.logspace(-3, 4, 60)[:, None]
    x = np.logspace(-5, 4.5, 80)
    P, Q = S.gammainc(a, x), S.gammaincc(a, x)
    rP, rQ = sc.gammainc(a, x), sc.gammaincc(a, x)
    # scipy's own accuracy is the limit here (1e-8 in places where it underflows
    # through x^a e^-x); where both are comfortably normal they agree to 1e-11
    m = (rP > 1e-200) & (rQ > 1e-200)
    np.testing.assert_allclose(P[m], rP[m], rtol=1e-11)
    np.testing.assert_allclose(Q[m], rQ[m], rtol=1e-11)
    np.testing.assert_allclose(P + Q, 1.0, rtol=1e-14)


def test_gammainc_edges():
    assert S.gammainc(1.0, 0.0) == 0.0 and S.gammaincc(1.0, 0.0) == 1.0
    assert S.gammainc(1.0, np.inf) == 1.0 and S.gammaincc(1.0, np.inf) == 0.0
    assert S.gammainc(0.0, 1.0) == sc.gammainc(0.0, 1.0)
    assert np.isnan(S.gammainc(1.0, -1.0)) and np.isnan(S.gammainc(np.nan, 1.0))
    assert np.isnan(S.gamma_sample_grad(-1.0, 1.0)) and S.gamma_sample_grad(2.0, 0.0) == 0.0
    # tiny concentrations and tiny draws: finite, no under/overflow
    g = S.gamma_sample_grad(1e-4, np.array([1e-300, 1e-30, 0.5, 3.0]))
    assert np.all(np.isfinite(g))


# ----------------------------------------------------------------- beta family

def _beta_points():
    for a, b in BETA_PAIRS:
        for q in QS:
            x = float(sc.betaincinv(a, b, q))
            if 0.0 < x < 1.0 and x > 1e-300:
                yield a, b, x


def _beta_refs(a, b, x):
    A, B, X = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    I = mp.betainc(A, B, 0, X, regularized=True)
    Ia = mp.diff(lambda s: mp.betainc(s, B, 0, X, regularized=True), A)
    Ib = mp.diff(lambda s: mp.betainc(A, s, 0, X, regularized=True), B)
    logp = (A - 1) * mp.log(X) + (B - 1) * mp.log1p(-X) - mp.log(mp.beta(A, B))
    p = mp.exp(logp)
    return I, Ia, Ib, -Ia / p, -Ib / p


def test_betainc_and_grad_against_mpmath():
    pts = list(_beta_points())
    a, b, x = (np.array(c) for c in zip(*pts))
    I = S.betainc(a, b, x)
    Ia, Ib = S.betainc_grad(a, b, x)
    ga, gb = S.beta_sample_grad(a, b, x)
    worst_grad = 0.0
    for i, (ai, bi, xi) in enumerate(pts):
        rI, rIa, rIb, rga, rgb = _beta_refs(ai, bi, xi)
        assert rel(I[i], rI) <= 1e-13, (ai, bi, xi)
        assert rel(Ia[i], rIa) <= 1e-13, (ai, bi, xi)
        assert rel(Ib[i], rIb) <= 1e-13, (ai, bi, xi)
        worst_grad = max(worst_grad, rel(ga[i], rga), rel(gb[i], rgb))
    assert worst_grad <= 1e-12  # DESIGN section 8 asks 1e-10


def test_betainc_against_scipy_large_grid():
    a = np.logspace(-2, 3, 25)[:, None, None]
    b = np.logspace(-2, 3, 25)[None, :, None]
    x = np.linspace(0.001, 0.999, 60)
    ours, ref = S.betainc(a, b, x), sc.betainc(a, b, x)
    m = (ref > 1e-200) & (ref < 1 - 1e-13)
    np.testing.assert_allclose(ours[m], ref[m], rtol=1e-11)


def test_beta_edges_and_small_concentrations():
    assert S.betainc(2.0, 3.0, 0.0) == 0.0 and S.betainc(2.0, 3.0, 1.0) == 1.0
    assert np.isnan(S.betainc(2.0, 3.0, 1.5)) and np.isnan(S.betainc(-1.0, 3.0, 0.5))
    assert S.betainc(0.0, 1.0, 0.5) == sc.betainc(0.0, 1.0, 0.5)
    assert S.betainc(1.0, 0.0, 0.5) == sc.betainc(1.0, 0.0, 0.5)
    # Beta(1e-3, 1e-3): half the mass on each side of 1/2, finite gradients everywhere
    assert abs(float(S.betainc(1e-3, 1e-3, 0.5)) - 0.5) < 1e-15
    x = np.array([1e-300, 1e-100, 1e-5, 0.5, 1 - 1e-5, 1 - 1e-16])
    ga, gb = S.beta_sample_grad(1e-3, 1e-3, x)
    assert np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))


def test_beta_and_student_t_sample_grads_elementwise_independent():
    """The array fills run the continued fraction of eight elements at once (lanes):
    an element's value depends on its own parameters only - the same bits alone, in
    another order, strided, broadcast, with edge and invalid elements among them,
    and on two threads."""
    import numdist

    rng = np.random.default_rng(5)
    n = 40000  # several blocks and above the parallel threshold
    a = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), n))
    b = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), n))
    x = rng.beta(a, b)
    t = rng.standard_t(a)
    x[::97], x[1::89], x[2::83], a[3::79], b[4::73] = 0.0, 1.0, np.nan, -1.0, np.inf
    t[::61], t[1::67], a[5::71] = 0.0, np.inf, np.nan
    ga, gb = S.beta_sample_grad(a, b, x)
    gt = S.student_t_sample_grad_df(a, t)
    perm = rng.permutation(n)
    pa, pb = S.beta_sample_grad(a[perm], b[perm], x[perm])
    np.testing.assert_array_equal(pa, ga[perm])
    np.testing.assert_array_equal(pb, gb[perm])
    np.testing.assert_array_equal(S.student_t_sample_grad_df(a[perm], t[perm]), gt[perm])
    for i in rng.integers(0, n, 200):
        one = S.beta_sample_grad(a[i], b[i], x[i])
        np.testing.assert_array_equal(one[0], ga[i])
        np.testing.assert_array_equal(one[1], gb[i])
        np.testing.assert_array_equal(S.student_t_sample_grad_df(a[i], t[i]), gt[i])
    a2 = np.repeat(a[:, None], 2, axis=1)[:, 1]  # strided view
    np.testing.assert_array_equal(S.beta_sample_grad(a2[::-1], b[::-1], x[::-1])[0], ga[::-1])
    np.testing.assert_array_equal(S.student_t_sample_grad_df(2.5, t[:100]),
                                  S.student_t_sample_grad_df(np.full(100, 2.5), t[:100]))
    assert np.isnan(ga[2]) and ga[0] == 0.0 and np.isnan(gt[5])
    saved = numdist.get_num_threads()
    try:
        numdist.set_num_threads(2)
        np.testing.assert_array_equal(S.beta_sample_grad(a, b, x)[1], gb)
        np.testing.assert_array_equal(S.student_t_sample_grad_df(a, t), gt)
    finally:
        numdist.set_num_threads(saved)


# ------------------------------------------------------------------ student t

@pytest.mark.parametrize("df", [0.3, 1.0, 2.5, 10.0, 100.0])
def test_student_t_against_mpmath(df):
    qs = [1e-10, 1e-6, 1e-3, 0.05, 0.3, 0.45, 0.55, 0.7, 0.95, 1 - 1e-3, 1 - 1e-6]
    t = sc.stdtrit(df, np.array(qs))
    F = S.student_t_cdf(df, t)
    g = S.student_t_sample_grad_df(df, t)
    D, half = mp.mpf(df), mp.mpf(1) / 2
    for i, ti in enumerate(t):
        T = mp.mpf(ti)

        def cdf(d):
            I = mp.betainc(d / 2, half, 0, d / (d + T ** 2), regularized=True) / 2
            return I if T < 0 else 1 - I

        dens = mp.gamma((D + 1) / 2) / (mp.sqrt(D * mp.pi) * mp.gamma(D / 2)) * (1 + T ** 2 / D) ** (-(D + 1) / 2)
        assert rel(F[i], cdf(D)) <= 1e-13, ti
        # dt/d df = t (1/(2 df) - ...) loses ~log10(df) digits to cancellation
        assert rel(g[i], -mp.diff(cdf, D) / dens) <= 1e-12 * max(1.0, df), ti
    np.testing.assert_allclose(S.student_t_cdf(df, t), sc.stdtr(df, t), rtol=1e-11)


def test_student_t_edges():
    assert S.student_t_cdf(3.0, 0.0) == 0.5 and S.student_t_sample_grad_df(3.0, 0.0) == 0.0
    assert S.student_t_cdf(3.0, -np.inf) == 0.0 and S.student_t_cdf(3.0, np.inf) == 1.0
    assert np.isnan(S.student_t_cdf(0.0, 1.0)) and np.isnan(S.student_t_cdf(np.nan, 1.0))
    assert S.student_t_cdf(np.inf, 1.0) == S.ndtr(1.0)


# ----------------------------------------------------------------- the binding

def test_broadcasting_dtypes_and_threads():
    a = np.array([[0.5], [2.0], [30.0]])
    x = np.linspace(0.1, 40, 7)
    out = S.gammainc(a, x)
    assert out.shape == (3, 7) and out.dtype == np.float64
    np.testing.assert_array_equal(out, np.vectorize(lambda u, v: float(S.gammainc(u, v)))(a, x))
    assert S.digamma(2.0).shape == ()
    assert S.gammainc([], []).shape == (0,)
    # float32 in, float64 out; strided (non-contiguous) inputs
    np.testing.assert_array_equal(S.lgamma(np.float32(3.0)), S.lgamma(3.0))
    xs = np.linspace(0.1, 10, 40)[::3]
    np.testing.assert_array_equal(S.trigamma(xs), S.trigamma(xs.copy()))
    # a large array runs on several threads; element-wise, so identical to small calls
    r = np.random.default_rng(3)
    aa = r.uniform(0.1, 20, 100_000)
    zz = r.standard_gamma(aa)
    big = S.gamma_sample_grad(aa, zz)
    small = np.concatenate([S.gamma_sample_grad(aa[i:i + 1000], zz[i:i + 1000])
                            for i in range(0, aa.size, 1000)])
    np.testing.assert_array_equal(big, small)
    ga, gb = S.beta_sample_grad(2.0, [[1.0], [3.0]], [0.2, 0.5])
    assert ga.shape == gb.shape == (2, 2)


def test_gamma_sample_grad_unbiased_mean():
    """E[dz/da] = d E[z]/da = 1 for the standard gamma (pathwise gradient of the mean)."""
    r = np.random.default_rng(11)
    for a in (0.05, 0.7, 3.0, 50.0):
        z = r.standard_gamma(a, 400_000)
        g = S.gamma_sample_grad(a, z)
        assert abs(g.mean() - 1.0) < 5 * g.std() / np.sqrt(z.size)


def test_misaligned_inputs_are_copied_not_read_misaligned():
    """Arrays unpickled on a dask worker (or any byte-offset view) may be misaligned:
    the bindings copy them before the C loops read doubles (found by UBSan)."""
    from numdist import _special

    raw = np.zeros(8 * 5 + 1, np.uint8)
    a = raw[1:].view(np.float64)
    a[:] = [0.5, 1.0, 2.5, 7.0, 40.0]
    assert not a.flags.aligned
    np.testing.assert_array_equal(_special.gamma_sample_grad(a, a), _special.gamma_sample_grad(a.copy(), a.copy()))
    np.testing.assert_array_equal(_special.digamma(a), _special.digamma(a.copy()))
