"""The Examples sections of numdist's docstrings run and print what they say."""
import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import numdist

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(numdist.__path__, "numdist.")
    if not m.name.startswith("numdist.benchmarks") and m.name != "numdist.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, globs={"np": np, "nd": numdist}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} doctest failures in {name}"


def test_every_public_name_has_examples():
    missing = []
    for name in numdist.__all__:
        obj = getattr(numdist, name)
        if callable(obj) and "Examples" not in (obj.__doc__ or ""):
            missing.append(name)
    for name in numdist.random.__all__:
        obj = getattr(numdist.random, name)
        if callable(obj) and "Examples" not in (obj.__doc__ or ""):
            missing.append(f"random.{name}")
    assert not missing, f"public names without an Examples section: {missing}"
