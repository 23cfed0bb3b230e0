"""``python -m numdist bench``: the main command runs, writes JSON and a plot."""
import json
import subprocess
import sys

import pytest


def test_bench_table_json_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    js, png = tmp_path / "bench.json", tmp_path / "bench.png"
    proc = subprocess.run(
        [sys.executable, "-m", "numdist", "bench", "--scale", "0.002", "--repeat", "1",
         "--json", str(js), "--plot", str(png)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    records = json.loads(js.read_text())
    works = {r["work"] for r in records}
    assert any("standard_normal" in w for w in works)
    assert any("MVN" in w or "multivariate_normal" in w for w in works)
    assert any("Categorical" in w for w in works)
    for r in records:
        assert r["numdist_s"] > 0
        if r["peer"] is not None:
            assert r["peer_s"] > 0 and r["speedup"] == pytest.approx(r["peer_s"] / r["numdist_s"])
    assert "speed-up" in proc.stdout and len(proc.stdout.splitlines()) >= len(records) + 2
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_plot_without_matplotlib_says_how_to_get_it(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from numdist.__main__ import main\n"
            f"sys.exit(main(['bench', '--plot', {str(tmp_path / 'x.png')!r}, '--only', 'normal']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "matplotlib" in proc.stderr and "numdist[bench]" in proc.stderr


def test_bench_as_on_an_avx2_machine_caps_every_library():
    """``--machine avx2`` runs the table again in a process where numdist, NumPy, torch
    and jax are all capped at AVX2 (what an AVX2-only x86-64 would run), and says so."""
    proc = subprocess.run(
        [sys.executable, "-m", "numdist", "bench", "--scale", "0.002", "--repeat", "1", "--only", "normal",
         "--machine", "avx2"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    head = proc.stdout.splitlines()[:2]
    assert "SIMD level avx2" in head[0] or "SIMD level scalar" in head[0]
    assert head[1].startswith("as on an AVX2-only machine: peers capped too")
    assert "--xla_cpu_max_isa=AVX2" in head[1]
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    assert "torch AVX2" in head[1] or "torch DEFAULT" in head[1]
