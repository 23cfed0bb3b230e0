"""Times every harness row (numdist and each peer) with pytest-benchmark."""
import pytest

import numdist as nd
from numdist.benchmarks import all_workloads

pytest.importorskip("pytest_benchmark")

SCALE = 1.0
ROWS = all_workloads(SCALE)
CASES = [(w.name, "numdist", w.numdist) for w in ROWS] + [
    (w.name, peer, fn) for w in ROWS for peer, fn in w.peers.items()]


@pytest.fixture(autouse=True)
def single_thread():
    n = nd.get_num_threads()
    nd.set_num_threads(1)
    yield
    nd.set_num_threads(n)


@pytest.mark.parametrize("row,who,fn", CASES, ids=[f"{r}|{w}" for r, w, _ in CASES])
def test_row(benchmark, row, who, fn):
    benchmark.group = row
    benchmark.extra_info["who"] = who
    benchmark(fn)
