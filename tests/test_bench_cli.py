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
