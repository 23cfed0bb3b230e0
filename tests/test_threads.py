"""Results do not depend on the thread count (docs/stream-contract.md, docs/performance.md)."""
import numpy as np
import pytest

import numdist as nd


@pytest.fixture
def restore_threads():
    n = nd.get_num_threads()
    yield
    nd.set_num_threads(n)


def _draw_all(threads):
    nd.set_num_threads(threads)
    out = {}
    out["f64"] = nd.random.standard_normal(300_001, rng=5)
    out["f32"] = nd.random.standard_normal(300_001, dtype=np.float32, rng=5)
    out["bm"] = nd.random.standard_normal(200_003, rng=5, method="box_muller")
    buf = np.zeros((700, 900))
    nd.random.normal(np.arange(450.0), 2.0, out=buf[:, ::-2], rng=5)
    out["strided"] = buf
    out["normal"] = nd.Normal(np.zeros(1000), np.ones(1000)).sample((333,), rng=5)
    return out


def test_same_numbers_for_any_thread_count(restore_threads):
    one, two, three = _draw_all(1), _draw_all(2), _draw_all(3)
    for key in one:
        np.testing.assert_array_equal(one[key], two[key], err_msg=key)
        np.testing.assert_array_equal(one[key], three[key], err_msg=key)


def test_global_stream_continues_identically(restore_threads):
    nd.set_num_threads(1)
    nd.manual_seed(3)
    a = [nd.random.standard_normal(150_000) for _ in range(3)]
    nd.set_num_threads(2)
    nd.manual_seed(3)
    b = [nd.random.standard_normal(150_000) for _ in range(3)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])


def test_chunks_are_distinct_streams(restore_threads):
    x = nd.random.standard_normal(4 * 65536, rng=0)
    chunks = x.reshape(4, 65536)
    for i in range(3):
        assert abs(np.corrcoef(chunks[i], chunks[i + 1])[0, 1]) < 0.02


def test_set_num_threads_rejects_nonpositive(restore_threads):
    with pytest.raises(ValueError, match="positive"):
        nd.set_num_threads(0)
    assert nd.get_num_threads() >= 1
