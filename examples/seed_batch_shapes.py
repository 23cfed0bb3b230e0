"""Seed document 001: batch and event shapes of a batched MultivariateNormal and
of Independent(Normal, 1), with numdist, and the post's scatter plot.

Usage: python seed_batch_shapes.py [PNG_PATH]
"""
import sys

import numpy as np

import numdist as nd

nd.manual_seed(0)
out_png = sys.argv[1] if len(sys.argv) > 1 else "seed_batch_shapes.png"

one_mean1 = np.array([1, 1], dtype=np.float32)
one_mean2 = np.array([2, 2], dtype=np.float32)
one_mean3 = np.array([3, 3], dtype=np.float32)
mean = np.stack([one_mean1, one_mean2, one_mean3], axis=0)
print("maen:", mean)

var = np.full((3, 2), 0.1, dtype=np.float32)  # diagonal entries only
print("var:", var)
var_matrix = var[:, :, None] * np.eye(var.shape[1], dtype=np.float32)[None, :, :]
print("var_matrix:", var_matrix)

multi_normal = nd.MultivariateNormal(loc=mean, covariance_matrix=var_matrix)
print(multi_normal.batch_shape)
print(multi_normal.event_shape)
samples = multi_normal.sample()
print(samples.shape)
samples = multi_normal.sample((100,))
print(samples.shape)

sigma = np.sqrt(np.full((3, 2), 0.1, dtype=np.float32))
print("sigma:", sigma)
normal = nd.Normal(loc=mean, scale=sigma)
print(normal.batch_shape)
print(normal.event_shape)
iid_normal = nd.Independent(normal, 1)
print(iid_normal.batch_shape)
print(iid_normal.event_shape)
iid_samples = iid_normal.sample((100,))
print(iid_samples.shape)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed: no plot (pip install 'numdist[bench]')")
else:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, s, title in ((axes[0], samples, "MultivariateNormal"), (axes[1], iid_samples, "Independent(Normal, 1)")):
        for i in range(s.shape[1]):  # batch dimension
            ax.scatter(s[:, i, 0], s[:, i, 1], s=8, label=f"batch {i}")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    print("plot:", out_png)
