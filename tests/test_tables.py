"""The committed ziggurat tables (csrc/include/numdist/ziggurat_tables.h and
csrc/ziggurat_tables.c) are exactly what tools/gen_ziggurat_tables.py writes.

The generator is deterministic (stdlib ``decimal`` at 80 digits, no binary
floating point in the computation, no mpmath), so its output must be byte
identical to the committed files."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "gen_ziggurat_tables.py"
COMMITTED = {
    "ziggurat_tables.h": ROOT / "csrc" / "include" / "numdist" / "ziggurat_tables.h",
    "ziggurat_tables.c": ROOT / "csrc" / "ziggurat_tables.c",
}


def test_generated_tables_match_committed(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPT), "-o", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    for name, path in COMMITTED.items():
        generated = (tmp_path / name).read_bytes()
        assert generated == path.read_bytes(), f"{path} differs from the generator's output"
