"""Seed document 000: sample() vs rsample() on a standard Normal, with numdist.

The torch original builds ``normal.Normal(loc=0, scale=1)``, draws 10 values
with each method and prints them and their means. Samples are random; what is
fixed is the shape (10,) and that both methods draw from the same law. numdist
adds what torch gets from autograd: ``rsample_vjp`` gives the gradient of the
sample with respect to ``loc`` and ``scale``.
"""
import numpy as np

import numdist as nd
from numdist import Normal

nd.manual_seed(0)

# 표준 정규 분포 객체 생성 (standard normal)
dist = Normal(loc=0, scale=1)

samples = dist.sample((10,))
rsamples = dist.rsample((10,))

print("sample() 결과:")
print(samples)
print("rsample() 결과:")
print(rsamples)
print("sample() 평균:", samples.mean())
print("rsample() 평균:", rsamples.mean())
print("shapes:", samples.shape, rsamples.shape)

# The difference the post describes: rsample is differentiable. Here the
# gradient of mean(x) with respect to loc is 1 and with respect to scale is mean(eps).
x, vjp = dist.rsample_vjp((10,))
grads = vjp(np.full(x.shape, 1 / x.size))
print("d mean(x) / d loc =", grads["loc"], " d mean(x) / d scale =", grads["scale"])
