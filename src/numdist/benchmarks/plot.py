"""Bar chart of numdist's speed-up over each peer, per workload."""
from __future__ import annotations

from typing import Any


def plot_speedups(records: list[dict[str, Any]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in records if r["speedup"] is not None]
    labels = [f"{r['work']}\nvs {r['peer']}" for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(rows) + 1.5))
    ax.barh(range(len(rows)), [r["speedup"] for r in rows], color="tab:blue")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("speed-up over peer (peer time / numdist time, log scale)")
    for i, r in enumerate(rows):
        ax.text(r["speedup"], i, f" {r['speedup']:.1f}x", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
