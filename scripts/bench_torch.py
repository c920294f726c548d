#!/usr/bin/env python3
"""PyTorch counterpart of `tensor-miner bench`: the same model and training step.

Model: the miner's causal transformer over byte tokens (`miner/src/model.rs`, no peers), as the
Rust bench (`miner/src/bench.rs`) builds it with `Preset::config(0)`:

  token Embedding(256, d) + position Embedding(context, d)        (both N(0, 0.02))
  n_layers x pre-norm encoder layer (Burn TransformerEncoder, norm_first, dropout 0):
      x = x + Wo . attn(Wq ln(x), Wk ln(x), Wv ln(x))   separate d->d Linears with bias,
          n_heads heads, scores / sqrt(d/n_heads), causal (position i sees j <= i), softmax
      x = x + Linear(4d->d)(GELU_erf(Linear(d->4d)(ln(x))))
  final LayerNorm(d) (all LayerNorms eps 1e-5, with bias) -> head Linear(d->256, bias)
  gate Linear(d->1, bias) and peer_head Linear(d->256, no bias): created but unused without
  peers, as in Rust (no gradient, so Adam leaves them alone); no peer projections (0 slots).

Presets (d, layers, heads, context; d_ff = 4d) and parameter counts (= Burn's num_params):
  tiny  (32, 2, 2, 32)     51,361       small (128, 4, 4, 64)   900,225
  gpu   (384, 6, 6, 128)   10,992,257

Step: loss = mean cross-entropy of head(h) over every position of every sequence against an
independent random target byte (the Rust bench draws inputs and targets separately; ln 256 =
5.545 is chance), plus, as `Model::loss` computes it, the unused last-position loss. Adam
(lr 1e-3, betas 0.9/0.999, eps 1e-5, no weight decay: Burn 0.21's AdamConfig defaults; Burn's
update is algebraically PyTorch's). All batches (`batch` sequences of `context` random bytes,
inputs and targets) are generated before timing; `warmup` untimed steps, then `steps` timed
ones; `loss.item()` each step synchronizes as reading the loss does in Rust. Attention uses
scaled_dot_product_attention(is_causal=True): Burn fills masked scores with -1e4 instead of
-inf, which gives the same softmax in f32. Prints predicted tokens per second in the format of
`tensor-miner bench`.

Usage: python3 scripts/bench_torch.py --preset small --threads 1 --steps 10 [--device cuda]
"""

import argparse
import math
import os
import time

import torch
import torch.nn.functional as F
from torch import nn

VOCAB_SIZE = 256  # miner/src/data/tokenizer.rs

# name: (d_model, n_layers, n_heads, context), as `Preset::config` in miner/src/model.rs.
PRESETS = {
    "tiny": (32, 2, 2, 32),
    "small": (128, 4, 4, 64),
    "gpu": (384, 6, 6, 128),
}


class Layer(nn.Module):
    """Burn's TransformerEncoderLayer with norm_first = true and no dropout."""

    def __init__(self, d, d_ff, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.norm_attn = nn.LayerNorm(d, eps=1e-5)
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)
        self.output = nn.Linear(d, d)
        self.norm_ff = nn.LayerNorm(d, eps=1e-5)
        self.inner = nn.Linear(d, d_ff)
        self.outer = nn.Linear(d_ff, d)

    def forward(self, x):
        b, n, d = x.shape
        h = self.norm_attn(x)
        heads = lambda t: t.view(b, n, self.n_heads, d // self.n_heads).transpose(1, 2)
        q, k, v = heads(self.query(h)), heads(self.key(h)), heads(self.value(h))
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.output(a.transpose(1, 2).reshape(b, n, d))
        return x + self.outer(F.gelu(self.inner(self.norm_ff(x))))


class Model(nn.Module):
    def __init__(self, d, n_layers, n_heads, context):
        super().__init__()
        self.token = nn.Embedding(VOCAB_SIZE, d)
        self.position = nn.Embedding(context, d)
        nn.init.normal_(self.token.weight, 0.0, 0.02)
        nn.init.normal_(self.position.weight, 0.0, 0.02)
        self.layers = nn.ModuleList(Layer(d, 4 * d, n_heads) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.gate = nn.Linear(d, 1)  # 1 + max_peers outputs, max_peers = 0; unused
        self.peer_head = nn.Linear(d, VOCAB_SIZE, bias=False)  # zeros, unused without peers
        nn.init.zeros_(self.peer_head.weight)
        self.head = nn.Linear(d, VOCAB_SIZE)

    def loss(self, tokens, targets):
        b, n = tokens.shape
        x = self.token(tokens) + self.position(torch.arange(n, device=tokens.device))
        for layer in self.layers:
            x = layer(x)
        solo = self.head(self.norm(x))
        own = F.cross_entropy(solo.reshape(b * n, VOCAB_SIZE), targets.reshape(b * n))
        # `Model::loss` also computes the last position's loss (`Loss::last`), not minimized.
        F.cross_entropy(solo[:, -1], targets[:, -1])
        return own


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=list(PRESETS), default="small")
    p.add_argument("--batch-size", type=int, default=16, help="sequences per step")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    p.add_argument("--steps", type=int, default=20, help="timed steps")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    a = p.parse_args()
    steps, batch = max(a.steps, 1), max(a.batch_size, 1)
    torch.set_num_threads(a.threads or len(os.sched_getaffinity(0)))
    device = torch.device(a.device)
    torch.manual_seed(7)
    d, n_layers, n_heads, context = PRESETS[a.preset]
    model = Model(d, n_layers, n_heads, context).to(device)
    params = sum(t.numel() for t in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-5)
    gen = torch.Generator().manual_seed(7)
    ids = lambda: torch.randint(0, VOCAB_SIZE, (batch, context), generator=gen)
    batches = [(ids(), ids()) for _ in range(a.warmup + steps)]
    start = time.perf_counter()
    last = math.nan
    for i, (tokens, targets) in enumerate(batches):
        if i == a.warmup:
            start = time.perf_counter()
        loss = model.loss(tokens.to(device), targets.to(device))
        last = loss.item()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    secs = time.perf_counter() - start
    name = f"{a.device} (torch {torch.__version__}, {torch.get_num_threads()} threads)"
    print(
        f"device={name} preset={a.preset.capitalize()} context={context} batch={batch} "
        f"params={params} steps={steps} secs={secs:.3f} "
        f"tokens_per_sec={batch * context * steps / max(secs, 1e-9):.1f} last_loss={last:.4f}"
    )


if __name__ == "__main__":
    main()
