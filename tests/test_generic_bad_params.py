"""Every registered distribution refuses bad parameters (ValueError naming the parameter
and the index), and with validate_args=False the same parameters never crash sampling or
log_prob (NaN allowed; a ValueError, the documented exception, is allowed too).

How to break a parameter comes from the family's ``arg_constraints``
(registry.bad_values) unless the entry says otherwise (``Case.bad``)."""
import re
import warnings

import numpy as np
import pytest

from registry import CASES, bad_values, break_param, param_constraint


def _bad_cases():
    out = []
    for c in CASES:
        try:
            d = c.nd()
        except Exception:  # a broken constructor: the class's constraints
            d = getattr(__import__("numdist"), c.family).__new__(getattr(__import__("numdist"), c.family))
        for name in c.params:
            constraint = param_constraint(d, name)
            values = (c.bad or {}).get(name, bad_values(constraint))
            for v in values:
                out.append(pytest.param(c, name, v, id=f"{c.id}-{name}={v}"))
    return out


BAD = _bad_cases()


def test_every_case_has_bad_parameters():
    cases = {p.values[0].id for p in BAD}
    assert cases == {c.id for c in CASES}


@pytest.mark.parametrize("case, name, bad", BAD)
def test_bad_parameter_refused_with_name_and_index(case, name, bad):
    d = case.nd()
    v = break_param(case.params[name], param_constraint(d, name), bad)
    with pytest.raises(ValueError) as info:
        case.nd(dict(case.params, **{name: v}))
    msg = str(info.value)
    assert re.search(rf"\b{re.escape(name)}\b", msg), f"parameter name {name!r} not in: {msg}"
    assert "index" in msg, f"no index in: {msg}"


@pytest.mark.parametrize("case, name, bad", BAD)
def test_bad_parameter_without_validation_never_crashes(case, name, bad):
    d = case.nd()
    v = break_param(case.params[name], param_constraint(d, name), bad)
    good_x = d.sample((3,), rng=0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            b = case.nd(dict(case.params, **{name: v}), validate_args=False)
        except ValueError:
            return  # e.g. a covariance whose Cholesky factorisation fails: refused regardless
        for call in (lambda: b.sample((3,), rng=0), lambda: b.sample((700,), rng=1),
                     lambda: b.log_prob(good_x)):
            try:
                out = call()
            except ValueError:
                continue
            assert isinstance(out, np.ndarray)
        if b.has_rsample:
            try:
                x, vjp = b.rsample_vjp((3,), rng=0)
                vjp(np.ones_like(x))
            except ValueError:
                pass
