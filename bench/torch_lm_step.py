"""One GRPO step of the GRU language policy in PyTorch, the reference for bench/run.ts --only=lm.

The same step as the kit's GRPOTrainer with GRULanguagePolicy (src/lm/gruPolicy.ts) on notebook
06's full-mode workload: 8 prompts x 8 generations, maxLength 32, token embedding 16, group
embedding 8, GRU state 48, beta 0.04 (k3 KL), loss_type 'grpo', Adam 3e-3, clipping 1.0,
temperature 1, starting from the kit's pre-trained weights (read from `weights_file`).

Same as the kit:
- Architecture: the context is the persona's group embedding (no prompt features); initial state
  tanh(c W0 + b0); GRU input = [token embedding of the previous token (BOS first), c]; gates with
  the reset gate applied to (W_hn h + b_hn) -- torch.nn.GRU's equations, which are the kit's; the
  kit's z, r, n gate blocks are reordered to torch's r, z, n when loading the weights; logits
  h Wo + bo with pad and BOS at -1e9; log-softmax at the temperature.
- Sampling: token by token for all 64 rows at once, one device-to-host read per token (here the
  `done.all()` test; the kit reads the whole distribution), a finished row gets padding (token 0,
  mask 0, input PAD), stop when every row has sampled EOS or at maxLength; trimmed to the longest row.
- Prompts: personas drawn by their shares; rewards in float64; advantages (r - mean) / (unbiased
  std + 1e-4) per prompt; the frozen reference's teacher-forced forward (no gradient); the
  teacher-forced forward of the policy (log-probs and entropies); the clipped surrogate with
  padding replaced by the old log-probs, k3 KL, 'grpo' aggregation (mean over each row's real
  tokens, then over rows); global-norm clipping; Adam; one read-back of the per-sample token
  statistics [mask, kl, low clip, high clip, entropy] with the loss and gradient norm, and of the
  rewards and advantages.

Differs:
- Reward: a stand-in. The kit scores the decoded text with the persona's rule-based reward
  (tokenising, keyword and style-marker matching, src/data/personas.ts), which would mean
  reimplementing that text parsing here; instead a completion's reward is the mean over its real
  tokens of a fixed random per-persona token score (a few tensor ops). Both sides time their
  reward separately and leave it out of the step time they report (`ms` here).
- Sampling draws with torch.multinomial, not the kit's seeded Rng, so the sequences differ (the
  model is the same: `check_max_abs_diff` is the largest difference between the kit's log-probs
  of a batch sampled from the pre-trained policy and this model's log-probs of the same tokens).
- Token and group embeddings are lookups (nn.Embedding); the kit multiplies one-hot rows by the
  table (tfjs has no wasm gradient for gather). Same values and gradients.
- The loss uses autograd; the kit supplies the loss's gradient itself (same values). At the first
  update's ties (ratio exactly 1) torch.minimum splits the gradient between its arguments while
  tfjs sends it to the first; both arguments have the same gradient there, so the sum is equal.
- The kit also computes its per-group metric records from the read-back (JavaScript); here the
  read-back is only converted to Python lists.

Usage: python3 torch_lm_step.py '{"weights_file": "...", "steps": 20, "warmup": 3, ...}'
Prints one JSON object: {"torch": version, "threads": n, "ms": [...], "sample_ms": [...], ...}.
"""
import copy
import json
import sys
import time

import torch
from torch import nn

PAD, EOS, BOS = 0, 1, 2


class GRULanguageModel(nn.Module):
    def __init__(self, vocab_size: int, groups: int, embedding_dim: int, group_embedding_dim: int, hidden_size: int):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, embedding_dim)
        self.group_embedding = nn.Embedding(groups, group_embedding_dim)
        self.init = nn.Linear(group_embedding_dim, hidden_size)
        self.gru = nn.GRU(embedding_dim + group_embedding_dim, hidden_size, batch_first=True)
        self.output = nn.Linear(hidden_size, vocab_size)
        forbidden = torch.zeros(vocab_size)
        forbidden[PAD] = forbidden[BOS] = -1e9
        self.register_buffer("forbidden", forbidden)

    def load_kit_weights(self, weights: list) -> None:
        """Copies the kit's weights (getWeights() order and layout: kernels [in, out], gates z, r, n)."""
        w = {x["name"]: torch.tensor(x["values"], dtype=torch.float32).reshape(x["shape"]) for x in weights}
        H = self.gru.hidden_size

        def gates(m: torch.Tensor) -> torch.Tensor:  # kit's z, r, n blocks (last axis) -> torch's r, z, n
            return torch.cat([m[..., H:2 * H], m[..., :H], m[..., 2 * H:]], dim=-1)

        with torch.no_grad():
            self.token_embedding.weight.copy_(w["token_embedding"])
            self.group_embedding.weight.copy_(w["group_embedding"])
            self.init.weight.copy_(w["init/kernel"].T)
            self.init.bias.copy_(w["init/bias"])
            self.gru.weight_ih_l0.copy_(gates(torch.cat([w["gru/input_kernel"], w["gru/context_kernel"]], 0)).T)
            self.gru.bias_ih_l0.copy_(gates(w["gru/input_bias"]))
            self.gru.weight_hh_l0.copy_(gates(w["gru/recurrent_kernel"]).T)
            self.gru.bias_hh_l0.copy_(gates(w["gru/recurrent_bias"]))
            self.output.weight.copy_(w["output/kernel"].T)
            self.output.bias.copy_(w["output/bias"])

    def start(self, group_ids: torch.Tensor):
        c = self.group_embedding(group_ids)
        return c, torch.tanh(self.init(c)).unsqueeze(0)  # context [N, E], h0 [1, N, H]

    def log_probs(self, h: torch.Tensor, temperature: float) -> torch.Tensor:
        logits = self.output(h) + self.forbidden
        return torch.log_softmax(logits if temperature == 1 else logits / temperature, dim=-1)

    @torch.no_grad()
    def sample(self, group_ids: torch.Tensor, max_length: int, temperature: float):
        """Token-by-token sampling; returns tokens, mask and old log-probs [N, T], T = the longest row."""
        c, h = self.start(group_ids)
        prev = torch.full_like(group_ids, BOS)
        done = torch.zeros_like(group_ids, dtype=torch.bool)
        tokens, masks, logps = [], [], []
        for _ in range(max_length):
            out, h = self.gru(torch.cat([self.token_embedding(prev), c], 1).unsqueeze(1), h)
            logp = self.log_probs(out.squeeze(1), temperature)
            live = ~done
            tok = torch.where(live, torch.multinomial(logp.exp(), 1).squeeze(1), PAD)
            tokens.append(tok)
            masks.append(live)
            logps.append(logp.gather(1, tok.unsqueeze(1)).squeeze(1) * live)
            done = done | (tok == EOS)
            prev = tok
            if bool(done.all()):  # the per-token read-back
                break
        return torch.stack(tokens, 1), torch.stack(masks, 1).float(), torch.stack(logps, 1)

    def evaluate(self, group_ids: torch.Tensor, tokens: torch.Tensor, temperature: float):
        """Teacher-forced per-token log-probs and entropies [N, T]."""
        N, T = tokens.shape
        c, h0 = self.start(group_ids)
        inputs = torch.cat([torch.full((N, 1), BOS, dtype=tokens.dtype), tokens[:, :-1]], 1)
        x = torch.cat([self.token_embedding(inputs), c.unsqueeze(1).expand(N, T, c.shape[1])], 2)
        hs, _ = self.gru(x, h0)
        logp = self.log_probs(hs, temperature)
        picked = logp.gather(2, tokens.unsqueeze(2)).squeeze(2)
        entropy = -(logp.exp() * logp).sum(2)
        return picked, entropy


def main() -> None:
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    with open(cfg["weights_file"]) as f:
        data = json.load(f)
    m = data["model"]
    P = cfg.get("prompts_per_step", 8)
    G = cfg.get("num_generations", 8)
    N = P * G
    steps = cfg.get("steps", 20)
    warmup = cfg.get("warmup", 3)
    beta = cfg.get("beta", 0.04)
    lo = 1 - cfg.get("epsilon", 0.2)
    hi = 1 + cfg.get("epsilon_high", cfg.get("epsilon", 0.2))
    max_norm = cfg.get("max_grad_norm", 1.0)
    temperature = cfg.get("temperature", 1.0)
    torch.set_num_threads(int(cfg.get("threads", 1)))
    torch.manual_seed(0)

    model = GRULanguageModel(m["vocab_size"], m["groups"], m["embedding_dim"], m["group_embedding_dim"], m["hidden_size"])
    model.load_kit_weights(data["weights"])
    reference = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.get("learning_rate", 3e-3), betas=(0.9, 0.999), eps=1e-8)
    shares = torch.tensor(data["shares"], dtype=torch.float64)
    token_score = torch.rand(m["groups"], m["vocab_size"], dtype=torch.float64)  # the stand-in reward's table

    # Same model as the kit: log-probs of a batch the kit sampled from the pre-trained policy.
    chk = data["check"]
    chk_tokens = torch.tensor(chk["tokens"]).reshape(-1, chk["length"])
    chk_mask = torch.tensor(chk["mask"]).reshape(chk_tokens.shape)
    with torch.no_grad():
        chk_logp, _ = model.evaluate(torch.tensor(chk["group_ids"]), chk_tokens, 1.0)
    check_diff = ((chk_logp - torch.tensor(chk["log_probs"]).reshape(chk_tokens.shape)).abs() * chk_mask).max().item()

    def step(times: dict) -> tuple:
        t0 = time.perf_counter()
        group = torch.multinomial(shares, P, replacement=True)
        group_ids = group.repeat_interleave(G)
        tokens, mask, old_logp = model.sample(group_ids, m["max_length"], temperature)
        t1 = time.perf_counter()
        rewards = (token_score[group_ids.unsqueeze(1), tokens] * mask).sum(1) / mask.sum(1)
        t2 = time.perf_counter()
        r = rewards.view(P, G)
        adv = ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + 1e-4)).reshape(N, 1).float()
        with torch.no_grad():
            ref_logp, _ = reference.evaluate(group_ids, tokens, temperature)
        logp, entropy = model.evaluate(group_ids, tokens, temperature)
        real = mask > 0
        logp = torch.where(real, logp, old_logp)  # padding: ratio 1, KL 0, no gradient
        ratio = torch.exp(logp - old_logp)
        ref_diff = torch.where(real, ref_logp, old_logp) - logp
        kl = (torch.exp(ref_diff) - ref_diff - 1) * mask
        weight = (1.0 / N) / mask.sum(1, keepdim=True).clamp(min=1)  # loss_type 'grpo'
        per_token = -torch.minimum(ratio * adv, ratio.clamp(lo, hi) * adv) + beta * kl
        loss = (per_token * mask * weight).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        opt.step()
        with torch.no_grad():
            low = ((ratio < lo) & (adv < 0)).float() * mask
            high = ((ratio > hi) & (adv > 0)).float() * mask
            stats = torch.stack([mask, kl, low, high, entropy * mask]).sum(2)  # [5, N]
            torch.cat([stats.reshape(-1), loss.detach().reshape(1), norm.reshape(1)]).tolist()
        rewards.tolist()
        adv.tolist()
        t3 = time.perf_counter()
        times["ms"].append(((t3 - t0) - (t2 - t1)) * 1e3)  # the reward left out, as on the kit side
        times["sample_ms"].append((t1 - t0) * 1e3)
        times["reward_ms"].append((t2 - t1) * 1e3)
        times["update_ms"].append((t3 - t2) * 1e3)
        return tokens.shape[1], mask.sum(1).mean().item()

    for _ in range(warmup):
        step({"ms": [], "sample_ms": [], "reward_ms": [], "update_ms": []})
    times = {"ms": [], "sample_ms": [], "reward_ms": [], "update_ms": []}
    lengths = [step(times) for _ in range(steps)]

    def median(xs: list) -> float:
        s = sorted(xs)
        return s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2

    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "steps": steps,
        **times,
        "median_ms": median(times["ms"]),
        "min_ms": min(times["ms"]),
        "sample_median_ms": median(times["sample_ms"]),
        "update_median_ms": median(times["update_ms"]),
        "reward_median_ms": median(times["reward_ms"]),
        "mean_padded_length": sum(t for t, _ in lengths) / len(lengths),
        "mean_completion_length": sum(l for _, l in lengths) / len(lengths),
        "check_max_abs_diff": check_diff,
    }))


if __name__ == "__main__":
    main()
