"""REINFORCE on a 4-armed Bernoulli bandit with Categorical.log_prob_vjp.

The policy is softmax(logits); each step samples a batch of arms, and the
score-function gradient mean((r - baseline) * d log pi(a) / d logits) comes
from log_prob_vjp, with no autograd. The policy converges to the best arm.
"""
import numpy as np

import numdist as nd

ARM_P = np.array([0.2, 0.5, 0.8, 0.4])
STEPS, BATCH, LR = 300, 64, 0.5


def train(seed=0):
    rng = nd.random.Xoshiro256x8(seed)
    reward_rng = np.random.default_rng(seed)
    logits = np.zeros(len(ARM_P))
    for _ in range(STEPS):
        policy = nd.Categorical(logits=logits)
        actions = policy.sample((BATCH,), rng=rng)
        rewards = (reward_rng.random(BATCH) < ARM_P[actions]).astype(float)
        _, vjp = policy.log_prob_vjp(actions)
        advantage = rewards - rewards.mean()
        logits = logits + LR * vjp(advantage / BATCH)["logits"]
    return nd.Categorical(logits=logits).probs


if __name__ == "__main__":
    probs = train()
    print("policy:", np.round(probs, 4))
    print("best arm:", int(np.argmax(ARM_P)), "probability:", round(float(probs[np.argmax(ARM_P)]), 4))
