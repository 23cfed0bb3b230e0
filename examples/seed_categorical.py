"""Seed document 002: Categorical from probs and from logits, with numdist.

Prints probs, logits, samples and log_prob: the normalised probs and logits are
deterministic and equal torch's values printed in the post.
"""
import numpy as np

import numdist as nd
from numdist import Categorical

nd.manual_seed(0)
np.set_printoptions(precision=4, suppress=True)

# shape (2, 1, 4): two batch members, four classes
raw_output = np.array([[[0.25, 0.25, 0.25, 0.25]],
                       [[0.33, 0.33, 0.33, 0.01]]], dtype=np.float32)

dist1 = Categorical(probs=raw_output)
dist2 = Categorical(logits=raw_output)

print("dist1.probs", dist1.probs)
print("dist1.logits", dist1.logits)
print("dist2.probs", dist2.probs)
print("dist2.logits", dist2.logits)

s1 = dist1.sample()
s2 = dist2.sample()
print("s1", s1, s1.shape, s1.dtype)
print("s2", s2, s2.shape)
print("dist1.log_prob(s1)", dist1.log_prob(s1))
print("dist2.log_prob(s2)", dist2.log_prob(s2))
