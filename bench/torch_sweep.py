"""The notebook-03 sweep shape in PyTorch, the reference for `npm run bench -- --only=sweep`.

R independent GRPO runs on the two-group bandit (majority / minority, K responses, binary rewards
from a per-run reward table that bench/sweep.ts draws with the kit's `generateBandit` and passes in),
each S steps of batch P x G, trained with the same computation as the kit's GRPOTrainer with
CategoricalMLPPolicy (group embedding E, one hidden relu layer of H units, no prompt features) and
beta = 0. Each run has its own advantage estimator (grpo, pgrpo, dr_grpo or rloo) and seed.

Two ways of writing it:
- `loop`: a loop over runs and steps, one nn.Module and one torch.optim.Adam per run, as a user
  would write it; every step reads its metrics back (per-group reward mean and std, entropy, loss,
  gradient norm: one `.tolist()`), as the kit logs metrics per group every step.
- `batched`: all runs in one computation: weights with a leading run axis, torch.bmm, one Adam over
  the stacked parameters (Adam is elementwise, so this is R independent Adams), gradient clipping by
  each run's own global norm, the four estimators computed for every run and selected per run.

Usage: python3 torch_sweep.py '{"variants": ["loop", "batched"], "loop_runs": [0, 20], "runs": [...], ...}'
where each run is {"method": "grpo", "seed": 0, "share": 0.1, "table": [[...K], [...K]]}.
Prints one JSON object: {"torch": version, "threads": n, "loop": {...}, "batched": {...}}; each
variant's "seconds" is its wall time in this process (model building included, interpreter start
and imports not).
"""
import json
import math
import sys
import time

import torch

METHODS = ["grpo", "pgrpo", "dr_grpo", "rloo"]
EPS_STD = 1e-4  # added to the std by grpo and pgrpo (TRL's value, the kit's default)


class Policy(torch.nn.Module):
    """logits = MLP(embedding[group]): the kit's CategoricalMLPPolicy without prompt features."""

    def __init__(self, groups: int, E: int, H: int, K: int) -> None:
        super().__init__()
        # The kit's initialisation: embedding U(-0.05, 0.05), Glorot-uniform weights, zero biases.
        self.embedding = torch.nn.Parameter(torch.empty(groups, E).uniform_(-0.05, 0.05))
        self.hidden = torch.nn.Linear(E, H)
        self.out = torch.nn.Linear(H, K)
        for layer in (self.hidden, self.out):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)

    def forward(self, group: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(self.embedding[group])))


def advantages(method: str, rewards: torch.Tensor, group: torch.Tensor, hist: dict) -> torch.Tensor:
    """Advantages [P, G] (float64) of one run's batch; `hist` is P-GRPO's running state per preference group."""
    if method == "grpo":
        return (rewards - rewards.mean(dim=1, keepdim=True)) / (rewards.std(dim=1, keepdim=True) + EPS_STD)
    if method == "dr_grpo":
        return rewards - rewards.mean(dim=1, keepdim=True)
    if method == "rloo":
        G = rewards.shape[1]
        mean = rewards.mean(dim=1, keepdim=True)
        return rewards - (mean + (mean - rewards) / (G - 1))  # baseline: mean of the other G - 1
    if method == "pgrpo":
        # Running mean and unbiased std per preference group over every reward seen so far (the
        # batch absorbed first: update 'before'), merged batch by batch (Chan's parallel update).
        flat_group = group.unsqueeze(1).expand_as(rewards).reshape(-1)
        flat = rewards.reshape(-1)
        n_b = torch.bincount(flat_group, minlength=2).to(torch.float64)
        mean_b = torch.zeros(2, dtype=torch.float64).index_add_(0, flat_group, flat) / n_b.clamp(min=1)
        m2_b = torch.zeros(2, dtype=torch.float64).index_add_(0, flat_group, (flat - mean_b[flat_group]) ** 2)
        count, mean, m2 = hist["count"], hist["mean"], hist["m2"]
        total = count + n_b
        delta = mean_b - mean
        seen = n_b > 0
        hist["mean"] = torch.where(seen, mean + delta * (n_b / total.clamp(min=1)), mean)
        hist["m2"] = torch.where(seen, m2 + m2_b + delta**2 * count * n_b / total.clamp(min=1), m2)
        hist["count"] = total
        std = torch.sqrt(hist["m2"] / (hist["count"] - 1).clamp(min=1))
        base, scale = hist["mean"][group].unsqueeze(1), (std[group] + EPS_STD).unsqueeze(1)
        # A group with fewer than 2 rewards so far falls back to the whole batch's mean and std.
        few = (hist["count"][group] < 2).unsqueeze(1)
        base = torch.where(few, flat.mean(), base)
        scale = torch.where(few, flat.std() + EPS_STD, scale)
        return (rewards - base) / scale
    raise ValueError(f"unknown method {method}")


def train_loop_run(run: dict, cfg: dict) -> list:
    """One run, written plainly. Returns its mean reward per group over all its steps."""
    P, G, S, K = cfg["prompts_per_step"], cfg["num_generations"], cfg["steps"], cfg["num_responses"]
    epsilon, max_norm = cfg["epsilon"], cfg["max_grad_norm"]
    torch.manual_seed(run["seed"])
    model = Policy(2, cfg["embedding"], cfg["hidden"], K)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["learning_rate"], betas=(0.9, 0.999), eps=1e-8)
    table = torch.tensor(run["table"], dtype=torch.float64)  # [2, K]
    shares = torch.tensor([1 - run["share"], run["share"]])
    hist = {"count": torch.zeros(2, dtype=torch.float64), "mean": torch.zeros(2, dtype=torch.float64), "m2": torch.zeros(2, dtype=torch.float64)}
    totals = [0.0, 0.0, 0.0, 0.0]  # reward sums and counts per group over the whole run (a check on the result)
    for _ in range(S):
        group = torch.multinomial(shares, P, replacement=True)  # each prompt's preference group
        with torch.no_grad():
            old_logp_all = torch.log_softmax(model(group), dim=1)
            tokens = torch.multinomial(old_logp_all.exp(), G, replacement=True)  # [P, G]
            old_logp = old_logp_all.gather(1, tokens)
        rewards = table[group.unsqueeze(1).expand(P, G), tokens]
        adv = advantages(run["method"], rewards, group, hist).float()

        logp_all = torch.log_softmax(model(group), dim=1)
        logp = logp_all.gather(1, tokens)
        ratio = torch.exp(logp - old_logp)  # 1 here (one update per batch), kept as the general formula
        clipped = torch.clamp(ratio, 1 - epsilon, 1 + epsilon)
        loss = -torch.minimum(ratio * adv, clipped * adv).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        opt.step()

        # Metrics per preference group, read back once per step.
        with torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(dim=1)  # [P]
            onehot = torch.nn.functional.one_hot(group, 2).to(torch.float64)  # [P, 2]
            n = onehot.sum(0) * G
            r_sum = onehot.t() @ rewards.sum(1)
            r_sq = onehot.t() @ (rewards**2).sum(1)
            r_mean = r_sum / n.clamp(min=1)
            r_std = (r_sq / n.clamp(min=1) - r_mean**2).clamp(min=0).sqrt()
            ent = (onehot.t() @ entropy.double()) / onehot.sum(0).clamp(min=1)
            values = torch.cat([n, r_mean, r_std, ent, loss.detach().double().reshape(1), norm.double().reshape(1)]).tolist()
        for g in range(2):
            totals[g] += values[2 + g] * values[g]
            totals[2 + g] += values[g]
    return [totals[g] / max(totals[2 + g], 1) for g in range(2)]


def batched(runs: list, cfg: dict) -> list:
    """All runs at once: stacked weights [R, ...], bmm, one Adam, per-run clipping. Returns [R][2] mean rewards per group over all steps."""
    P, G, S, K = cfg["prompts_per_step"], cfg["num_generations"], cfg["steps"], cfg["num_responses"]
    E, H = cfg["embedding"], cfg["hidden"]
    epsilon, max_norm = cfg["epsilon"], cfg["max_grad_norm"]
    R = len(runs)
    torch.manual_seed(0)

    def glorot(fan_in: int, fan_out: int) -> torch.Tensor:
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return torch.empty(R, fan_in, fan_out).uniform_(-limit, limit)

    emb = torch.empty(R, 2, E).uniform_(-0.05, 0.05).requires_grad_()
    w1 = glorot(E, H).requires_grad_()
    b1 = torch.zeros(R, 1, H, requires_grad=True)
    w2 = glorot(H, K).requires_grad_()
    b2 = torch.zeros(R, 1, K, requires_grad=True)
    params = [emb, w1, b1, w2, b2]
    opt = torch.optim.Adam(params, lr=cfg["learning_rate"], betas=(0.9, 0.999), eps=1e-8)
    table = torch.tensor([r["table"] for r in runs], dtype=torch.float64)  # [R, 2, K]
    minority = torch.tensor([r["share"] for r in runs]).unsqueeze(1)  # [R, 1]
    method = torch.tensor([METHODS.index(r["method"]) for r in runs]).view(R, 1, 1)
    run_idx = torch.arange(R).unsqueeze(1)  # [R, 1]
    count = torch.zeros(R, 2, dtype=torch.float64)
    mean = torch.zeros(R, 2, dtype=torch.float64)
    m2 = torch.zeros(R, 2, dtype=torch.float64)

    def logits_of(group: torch.Tensor) -> torch.Tensor:  # group [R, P] -> [R, P, K]
        x = emb[run_idx, group]  # [R, P, E]
        return torch.bmm(torch.relu(torch.bmm(x, w1) + b1), w2) + b2

    totals = [[0.0] * 4 for _ in range(R)]  # reward sums and counts per run and group over the whole run
    for _ in range(S):
        group = (torch.rand(R, P) < minority).long()  # 1 = minority
        with torch.no_grad():
            old_logp_all = torch.log_softmax(logits_of(group), dim=2)
            tokens = torch.multinomial(old_logp_all.exp().reshape(R * P, K), G, replacement=True).view(R, P, G)
            old_logp = old_logp_all.gather(2, tokens)
        rewards = table[run_idx.unsqueeze(2), group.unsqueeze(2), tokens]  # [R, P, G]

        # The four estimators for every run, each run keeping its own.
        g_mean = rewards.mean(dim=2, keepdim=True)
        centred = rewards - g_mean
        adv_grpo = centred / (rewards.std(dim=2, keepdim=True) + EPS_STD)
        adv_rloo = rewards - (g_mean + (g_mean - rewards) / (G - 1))
        onehot = torch.nn.functional.one_hot(group, 2).to(torch.float64)  # [R, P, 2]
        n_b = onehot.sum(1) * G  # [R, 2]
        mean_b = torch.einsum("rpg,rp->rg", onehot, rewards.sum(2)) / n_b.clamp(min=1)
        dev = rewards - torch.gather(mean_b, 1, group).unsqueeze(2)
        m2_b = torch.einsum("rpg,rp->rg", onehot, (dev**2).sum(2))
        total = count + n_b
        delta = mean_b - mean
        seen = n_b > 0
        mean = torch.where(seen, mean + delta * (n_b / total.clamp(min=1)), mean)
        m2 = torch.where(seen, m2 + m2_b + delta**2 * count * n_b / total.clamp(min=1), m2)
        count = total
        std = torch.sqrt(m2 / (count - 1).clamp(min=1))
        base = torch.gather(mean, 1, group).unsqueeze(2)
        scale = torch.gather(std, 1, group).unsqueeze(2) + EPS_STD
        few = (torch.gather(count, 1, group) < 2).unsqueeze(2)
        flat = rewards.reshape(R, -1)
        base = torch.where(few, flat.mean(1).view(R, 1, 1), base)
        scale = torch.where(few, flat.std(1).view(R, 1, 1) + EPS_STD, scale)
        adv_pgrpo = (rewards - base) / scale
        adv = torch.where(method == 0, adv_grpo, torch.where(method == 1, adv_pgrpo, torch.where(method == 2, centred, adv_rloo))).float()

        logp_all = torch.log_softmax(logits_of(group), dim=2)
        logp = logp_all.gather(2, tokens)
        ratio = torch.exp(logp - old_logp)
        clipped = torch.clamp(ratio, 1 - epsilon, 1 + epsilon)
        loss_per_run = -torch.minimum(ratio * adv, clipped * adv).mean(dim=(1, 2))  # [R]
        opt.zero_grad(set_to_none=True)
        loss_per_run.sum().backward()  # runs share no parameter: each run's gradient is its own loss's
        with torch.no_grad():
            norm = torch.sqrt(sum(p.grad.pow(2).flatten(1).sum(1) for p in params))  # [R]
            scale_r = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
            for p in params:
                p.grad.mul_(scale_r.view(R, *([1] * (p.dim() - 1))))
        opt.step()

        with torch.no_grad():
            entropy = -(logp_all.exp() * logp_all).sum(dim=2)  # [R, P]
            n = n_b.clamp(min=1)
            r_mean = torch.einsum("rpg,rp->rg", onehot, rewards.sum(2)) / n
            r_sq = torch.einsum("rpg,rp->rg", onehot, (rewards**2).sum(2)) / n
            r_std = (r_sq - r_mean**2).clamp(min=0).sqrt()
            ent = torch.einsum("rpg,rp->rg", onehot, entropy.double()) / onehot.sum(1).clamp(min=1)
            values = torch.cat([n_b, r_mean, r_std, ent, loss_per_run.detach().double().unsqueeze(1), norm.double().unsqueeze(1)], dim=1).tolist()
        for r, v in enumerate(values):
            totals[r][0] += v[2] * v[0]
            totals[r][1] += v[3] * v[1]
            totals[r][2] += v[0]
            totals[r][3] += v[1]
    return [[s[0] / max(s[2], 1), s[1] / max(s[3], 1)] for s in totals]


def main() -> None:
    cfg = json.loads(sys.argv[1])
    if "threads" in cfg:
        torch.set_num_threads(int(cfg["threads"]))
    runs = cfg["runs"]
    out: dict = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    # Untimed warm-up: a few steps of one run each way (allocator, first-call dispatch).
    warm = {**cfg, "steps": 3}
    if "loop" in cfg["variants"]:
        train_loop_run(runs[0], warm)
        lo, hi = cfg.get("loop_runs", [0, len(runs)])
        t0 = time.perf_counter()
        means = [train_loop_run(run, cfg) for run in runs[lo:hi]]
        out["loop"] = {"seconds": time.perf_counter() - t0, "runs": hi - lo, "reward_mean": means}
    if "batched" in cfg["variants"]:
        batched(runs[:2], warm)
        t0 = time.perf_counter()
        means = batched(runs, cfg)
        out["batched"] = {"seconds": time.perf_counter() - t0, "runs": len(runs), "reward_mean": means}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
