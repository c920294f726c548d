#!/usr/bin/env python3
"""PyTorch counterpart of `tensor-miner bench`: the same model and training step, on CPU.

Model (no peers): Embedding(vocab, d) -> flatten the window -> Linear(window*d, hidden) -> ReLU
-> Linear(hidden, vocab), cross-entropy on the next word, Adam (lr 1e-3, eps 1e-5 as Burn's
default). The miner's gate Linear(d, 1) is created but unused without peers, as in Burn.
Batches are random token ids generated before timing; `loss.item()` each step synchronizes,
as reading the loss does in the Rust bench. Prints predicted tokens per second.

Usage: python3 scripts/bench_torch.py --threads 1 --steps 50 --batch-size 256
"""

import argparse
import time

import torch
from torch import nn


class Miner(nn.Module):
    def __init__(self, vocab, d, window, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, d)
        nn.init.normal_(self.embedding.weight, 0.0, 0.3)
        self.gate = nn.Linear(d, 1)  # peer gate; unused with no peers, kept for equal size
        self.hidden = nn.Linear(window * d, hidden)
        self.output = nn.Linear(hidden, vocab)

    def forward(self, context):
        x = self.embedding(context).flatten(1)
        return self.output(torch.relu(self.hidden(x)))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vocab", type=int, default=5000)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--window", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all)")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    model = Miner(a.vocab, a.d_model, a.window, a.hidden)
    params = sum(t.numel() for t in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-5)
    loss_fn = nn.CrossEntropyLoss()
    total = a.warmup + a.steps
    batches = [
        (
            torch.randint(0, a.vocab, (a.batch_size, a.window)),
            torch.randint(0, a.vocab, (a.batch_size,)),
        )
        for _ in range(total)
    ]
    start = time.perf_counter()
    last = float("nan")
    for i, (ctx, tgt) in enumerate(batches):
        if i == a.warmup:
            start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(ctx), tgt)
        loss.backward()
        opt.step()
        last = loss.item()
    secs = time.perf_counter() - start
    print(
        f"device=cpu (torch {torch.__version__}, {torch.get_num_threads()} threads) "
        f"vocab={a.vocab} d_model={a.d_model} window={a.window} hidden={a.hidden} "
        f"batch={a.batch_size} params={params} steps={a.steps} secs={secs:.3f} "
        f"tokens_per_sec={a.batch_size * a.steps / secs:.1f} last_loss={last:.4f}"
    )


if __name__ == "__main__":
    main()
