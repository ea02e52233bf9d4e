"""One GRPO step in PyTorch, the reference for bench/run.ts.

Same workload and the same computation as the kit's GRPOTrainer with CategoricalMLPPolicy and
beta = 0: draw prompts from a fixed pool (standard-normal features, a preference group each), evaluate the MLP once
per prompt, sample num_generations responses per prompt, look up rewards in a per-group table,
group-relative advantages ((r - mean) / (unbiased std + 1e-4)), then one Adam update on the clipped
surrogate with global-norm gradient clipping; the per-sample diagnostics (clip flags, entropy) and
the loss and gradient norm are computed and read back once per step, as the kit does.

Usage: python3 torch_step.py '{"features":64,"hidden":256,...,"steps":50,"warmup":5}'
Prints one JSON object: {"torch": version, "threads": n, "ms": [per-step times], "median_ms": ...}.
"""
import json
import sys
import time

import torch


def main() -> None:
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    F = cfg.get("features", 64)
    H = cfg.get("hidden", 256)
    K = cfg.get("responses", 32)
    P = cfg.get("prompts_per_step", 64)
    G = cfg.get("num_generations", 8)
    groups = cfg.get("groups", 4)
    steps = cfg.get("steps", 50)
    warmup = cfg.get("warmup", 5)
    epsilon = cfg.get("epsilon", 0.2)
    if "threads" in cfg:
        torch.set_num_threads(int(cfg["threads"]))
    torch.manual_seed(0)

    model = torch.nn.Sequential(torch.nn.Linear(F, H), torch.nn.ReLU(), torch.nn.Linear(H, K))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    table = torch.rand(groups, K, dtype=torch.float64)
    # A fixed pool of prompts that each step draws from, as the kit's benchmark task does.
    pool_size = cfg.get("prompt_pool", 4096)
    pool_x = torch.randn(pool_size, F)
    pool_group = torch.randint(0, groups, (pool_size,))

    def step() -> None:
        pick = torch.randint(0, pool_size, (P,))
        x = pool_x[pick]
        group = pool_group[pick]
        with torch.no_grad():
            old_logp_all = torch.log_softmax(model(x), dim=1)
            tokens = torch.multinomial(old_logp_all.exp(), G, replacement=True)  # [P, G]
            old_logp = old_logp_all.gather(1, tokens)
        # Rewards and advantages in double precision, as the kit computes them on the JS side.
        rewards = table[group.unsqueeze(1).expand(P, G), tokens]
        mean = rewards.mean(dim=1, keepdim=True)
        std = rewards.std(dim=1, keepdim=True)
        adv = ((rewards - mean) / (std + 1e-4)).float()

        logp_all = torch.log_softmax(model(x), dim=1)
        logp = logp_all.gather(1, tokens)
        ratio = torch.exp(logp - old_logp)
        clipped = torch.clamp(ratio, 1 - epsilon, 1 + epsilon)
        loss = -torch.minimum(ratio * adv, clipped * adv).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(dim=1, keepdim=True).expand(P, G)
            low = ((ratio < 1 - epsilon) & (adv < 0)).float()
            high = ((ratio > 1 + epsilon) & (adv > 0)).float()
            stats = torch.stack([torch.ones_like(low), torch.zeros_like(low), low, high, entropy], dim=2)
            # One read-back of everything the kit's metrics need.
            torch.cat([stats.reshape(-1), loss.detach().reshape(1), norm.reshape(1)]).tolist()
        rewards.tolist()
        adv.tolist()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    ordered = sorted(times)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "ms": times,
        "median_ms": ordered[len(ordered) // 2],
        "min_ms": ordered[0],
    }))


if __name__ == "__main__":
    main()
