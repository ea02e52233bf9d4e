"""The kit's advantage estimators written in numpy, the reference for bench/run.ts.

Both sides build the same batch from a formula (so nothing large crosses the process boundary):
sample i belongs to generation group i // G and preference group (i // G) % groups; its reward is
((i * 7919) % 1009) / 1009, except that every tenth generation group has all rewards 0.5 (zero
spread). Each estimator produces what the kit's does: advantages, baselines, scales and the
zero-spread flag; the checksum (sum of advantages) lets the harness check both sides agree.

numpy receives the preference groups as integer codes (the kit receives strings): the natural
numpy encoding, and the cheaper one.

Usage: python3 numpy_estimators.py '{"n":1000000,"G":8,"groups":4,"reps":7}'
"""
import json
import sys
import time

import numpy as np

EPS = 1e-4
ULPS = 4 * np.finfo(np.float64).eps


def batch(n: int, G: int, groups: int):
    i = np.arange(n, dtype=np.int64)
    gen = (i // G).astype(np.int32)
    rewards = ((i * 7919) % 1009) / 1009.0
    rewards[(gen % 10) == 0] = 0.5
    pref = (gen % groups).astype(np.int32)
    return rewards, gen, pref


def generation_moments(rewards, gen):
    k = int(gen.max()) + 1
    count = np.bincount(gen, minlength=k)
    mean = np.bincount(gen, weights=rewards, minlength=k) / count
    # Samples of a generation group are contiguous here, so reduceat gives min and max per group.
    starts = np.flatnonzero(np.r_[True, gen[1:] != gen[:-1]])
    mx = np.maximum.reduceat(rewards, starts)
    mn = np.minimum.reduceat(rewards, starts)
    zero = (mx - mn) <= ULPS * np.maximum(np.abs(mx), np.abs(mn))
    d = rewards - mean[gen]
    m2 = np.bincount(gen, weights=d * d, minlength=k)
    return count, mean, m2, zero


def grpo(rewards, gen, pref):
    count, mean, m2, zero = generation_moments(rewards, gen)
    scale = np.sqrt(m2 / (count - 1)) + EPS
    zs = zero[gen]
    baselines = np.where(zs, rewards, mean[gen])
    scales = scale[gen]
    adv = np.where(zs, 0.0, (rewards - mean[gen]) / scales)
    return adv, baselines, scales, zs.astype(np.uint8)


def rloo(rewards, gen, pref):
    count, mean, m2, zero = generation_moments(rewards, gen)
    zs = zero[gen]
    m = mean[gen]
    baseline = m + (m - rewards) / (count[gen] - 1)
    baselines = np.where(zs, rewards, baseline)
    adv = np.where(zs, 0.0, rewards - baseline)
    return adv, baselines, np.ones_like(rewards), zs.astype(np.uint8)


def pgrpo(rewards, gen, pref):
    # First batch with update='before': the statistics are the batch's own per preference group.
    _, _, _, zero = generation_moments(rewards, gen)
    k = int(pref.max()) + 1
    count = np.bincount(pref, minlength=k)
    mean = np.bincount(pref, weights=rewards, minlength=k) / count
    d = rewards - mean[pref]
    m2 = np.bincount(pref, weights=d * d, minlength=k)
    scale = np.sqrt(m2 / (count - 1)) + EPS
    scales = scale[pref]
    adv = d / scales
    return adv, mean[pref], scales, zero[gen].astype(np.uint8)


def main() -> None:
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    n, G, groups, reps = cfg.get("n", 1_000_000), cfg.get("G", 8), cfg.get("groups", 4), cfg.get("reps", 7)
    rewards, gen, pref = batch(n, G, groups)
    out = {"numpy": np.__version__, "n": n, "estimators": {}}
    for name, fn in (("grpo", grpo), ("rloo", rloo), ("pgrpo", pgrpo)):
        fn(rewards, gen, pref)  # warm-up
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            adv, *_ = fn(rewards, gen, pref)
            times.append((time.perf_counter() - t0) * 1e3)
        times.sort()
        out["estimators"][name] = {"median_ms": times[len(times) // 2], "min_ms": times[0], "checksum": float(np.abs(adv).sum())}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
