"""Sequence tasks benchmark (CPU, one torch thread): the lab's default recipes on real data, next to
published figures.

    python bench/bench_tasks.py                       # everything, a few minutes
    python bench/bench_tasks.py --skip lm throughput rows    # MNIST-1D only

1. MNIST-1D (`mnist1d`: make_dataset(get_dataset_args()), 4000 train / 1000 test, length 40): test
   accuracy of `RECIPES["mnist1d"]` (many-to-one, last hidden state) for gru / lstm / rnn, seed 0,
   plus the memoryless model (last input only), next to the package README's table (logistic 32%,
   MLP 68%, CNN 94%, GRU 91%).
2. Character LM on --text (90/10 split, windows of 100 characters): validation loss after
   `RECIPES["charlm"]`'s budget next to the unigram / add-one bigram baselines (published 3.35 / 2.48
   nats/char on tinyshakespeare, and computed here on the same split); throughput of `fit` against a
   bare fused nn.LSTM loop on the same batches, the two interleaved step by step (ratio >= 0.9 wanted).
3. Row-by-row MNIST from --mnist-dir (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz; first
   8000 train, last 2000 test; 28 steps of 28 pixels): test accuracy of `RECIPES["mnist_rows"]`, an
   LSTM-128.

Prints markdown and writes it, with the date, torch version, CPU and load, to bench/results/tasks.md.
"""
from __future__ import annotations

import argparse
import gzip
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from benchlib import bare_lstm, load1, write_report  # noqa: E402

from rnnviz.app.lab import RECIPES, recipe
from rnnviz.nn.memoryless import MemorylessModel
from rnnviz.nn.model import seq_model  # noqa: E402
from rnnviz.training.fit import FitConfig, fit
from rnnviz.training.optim import Adam  # noqa: E402

PUBLISHED_MNIST1D = {"logistic": 0.32, "MLP": 0.68, "CNN": 0.94, "GRU": 0.91, "human": 0.96}
PUBLISHED_LM = {"uniform": 4.174, "unigram": 3.347, "bigram (add-one)": 2.482}
SECTIONS = ("mnist1d", "lm", "throughput", "rows")


def _recipe_text(name: str) -> str:
    r = RECIPES[name]
    f: FitConfig = r["fit"]
    m = r["model"]
    per_cell: dict[str, dict] = {}
    for key in ("cell_model", "cell_fit"):
        for cell, kw in r.get(key, {}).items():
            per_cell.setdefault(cell, {}).update(kw)
    extra = "".join(f"; {cell}: " + ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in kw.items())
                    for cell, kw in per_cell.items())
    return (f"hidden {m['hidden']}, batch {f.batch_size}, Adam {f.lr:g} ({f.lr_schedule} schedule), "
            f"clip {f.clip:g}, {f.steps} steps, {f.deadline_s:g} s deadline{extra}")


def _timed_fit(model, train, val, cfg):
    c0 = time.process_time()
    r = fit(model, train, val, cfg)
    return r, time.process_time() - c0


# ------------------------------------------------------------------------------------------- MNIST-1D


def bench_mnist1d(lines: list[str], cells: list[str]) -> None:
    from mnist1d.data import get_dataset_args, make_dataset
    d = make_dataset(get_dataset_args())
    x = torch.tensor(d["x"], dtype=torch.float32)[..., None]         # (4000, 40, 1)
    y = torch.tensor(d["y"])
    xt = torch.tensor(d["x_test"], dtype=torch.float32)[..., None]   # (1000, 40, 1)
    yt = torch.tensor(d["y_test"])
    rec = RECIPES["mnist1d"]
    lines += ["## MNIST-1D, many-to-one (4000 train / 1000 test, 40 steps of 1 value)", "",
              f"Recipe `RECIPES['mnist1d']`: {_recipe_text('mnist1d')}; the class is read from the last hidden "
              "state; model seed 0, batch-order seed 0. Test accuracy on the 1000 test sequences after the last "
              "step (they are the validation set; nothing is selected on them). Published: the mnist1d README.",
              "", "| model | steps | train seconds (wall) | train CPU seconds | test accuracy | published |",
              "|---|---|---|---|---|---|"]
    for cell in cells:
        kw, cfg = recipe("mnist1d", cell)
        runs = [("", kw, cfg)]
        if cfg != rec["fit"] or kw != rec["model"]:          # also the shared settings, as compare_cells uses them
            runs.append((", shared GRU settings", rec["model"], rec["fit"]))
        for note, kw, cfg in runs:
            m = seq_model("many_to_one", cell, in_features=1, out=10, seed=0, **kw)
            r, cpu = _timed_fit(m, (x, y), (xt, yt), cfg)
            pub = f"{PUBLISHED_MNIST1D['GRU']:.0%}" if cell == "gru" else "—"
            row = (f"| {cell.upper()}-{kw['hidden']} (this app{note}) | {r.steps} ({r.status}) | {r.seconds:.1f} | "
                   f"{cpu:.1f} | **{r.val_accuracy:.1%}** | {pub} |")
            print(row, flush=True)
            lines.append(row)
    m = MemorylessModel("many_to_one", in_features=1, out=10, seed=0, hidden=rec["model"]["hidden"])
    r, cpu = _timed_fit(m, (x, y), (xt, yt), rec["fit"])
    row = (f"| memoryless (MLP on x_40 only, this app) | {r.steps} ({r.status}) | {r.seconds:.1f} | {cpu:.1f} | "
           f"{r.val_accuracy:.1%} | — |")
    print(row, flush=True)
    lines.append(row)
    for name in ("logistic", "MLP", "CNN", "human"):
        note = "; sees all 40 values at once" if name in ("logistic", "MLP") else ""
        lines.append(f"| {name} (published{note}) | | | | | {PUBLISHED_MNIST1D[name]:.0%} |")
    lines.append("")


# --------------------------------------------------------------------------------- character LM


def _ngram_losses(train_ids: np.ndarray, val_ids: np.ndarray, V: int) -> tuple[float, float]:
    """Validation nats/char of the add-one unigram and add-one bigram models fitted on train."""
    uni = np.bincount(train_ids, minlength=V) + 1.0
    uni_loss = float(-np.log(uni[val_ids] / uni.sum()).mean())
    big = np.ones((V, V))
    np.add.at(big, (train_ids[:-1], train_ids[1:]), 1.0)
    big /= big.sum(1, keepdims=True)
    return uni_loss, float(-np.log(big[val_ids[:-1], val_ids[1:]]).mean())


def _windows(ids: torch.Tensor, L: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = (ids.numel() - 1) // L
    return ids[:n * L].view(n, L), ids[1:n * L + 1].view(n, L)


class BareLoop:
    """The bare reference loop, one step at a time on fit's batches (the same seeded shuffle)."""

    def __init__(self, x, y, V, H, B, seed, lr):
        torch.manual_seed(0)
        self.m = bare_lstm(V, H)
        self.opt = Adam([p for p in self.m.parameters() if p.requires_grad], lr=lr)
        self.perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))
        self.x, self.y, self.V, self.B = x, y, V, B

    def step(self, k: int) -> float:
        """Step k (from 0); returns its seconds."""
        t0 = time.perf_counter()
        idx = self.perm[k * self.B:(k + 1) * self.B]
        logits = self.m(self.x[idx])
        loss = F.cross_entropy(logits.reshape(-1, self.V), self.y[idx].reshape(-1))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return time.perf_counter() - t0


def bench_lm(lines: list[str], text_path: str) -> None:
    rec = RECIPES["charlm"]
    L = rec["seq_len"]
    text, V, ids, n_train, train, val = _lm_data(text_path, L)
    uni, big = _ngram_losses(ids[:n_train].numpy(), ids[n_train:].numpy(), V)
    kw, cfg0 = recipe("charlm", "lstm")
    m = seq_model("many_to_many", "lstm", vocab=V, out=V, seed=0, **kw)
    r, cpu = _timed_fit(m, train, val, cfg0)
    H = rec["model"]["hidden"]
    lines += [f"## Character language model: {Path(text_path).name}", "",
              f"{len(text):,} characters, {V} distinct; 90/10 split ({n_train:,} / {len(ids) - n_train:,}); "
              f"non-overlapping windows of {L} characters ({train[0].shape[0]:,} train, {val[0].shape[0]:,} "
              f"validation), each starting from a zero state. Recipe `RECIPES['charlm']`: LSTM, one-hot input, "
              f"{_recipe_text('charlm')}. Validation loss in nats/char over every validation window.",
              "", "| model | steps | train seconds (wall) | train CPU seconds | validation loss | published |",
              "|---|---|---|---|---|---|",
              f"| uniform over {V} | | | | {math.log(V):.3f} | {PUBLISHED_LM['uniform']:.3f} |",
              f"| unigram (add-one, computed here) | | | | {uni:.3f} | {PUBLISHED_LM['unigram']:.3f} |",
              f"| bigram (add-one, computed here) | | | | {big:.3f} | {PUBLISHED_LM['bigram (add-one)']:.3f} |",
              f"| LSTM-{H} (this app) | {r.steps} ({r.status}) | {r.seconds:.1f} | {cpu:.1f} | **{r.val_loss:.3f}** "
              "| nanoGPT small CPU config ≈ 1.88, 6-layer transformer 1.47 |",
              "", "Validation loss during training: " + ", ".join(
                  f"step {s}: {v:.3f}" for s, v in zip(r.val_steps, r.val_losses)), ""]
    print("\n".join(lines[-9:]), flush=True)


def _lm_data(text_path: str, L: int):
    text = Path(text_path).read_text(encoding="utf-8")
    chars = sorted(set(text))
    lut = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([lut[c] for c in text], dtype=torch.long)
    n_train = int(0.9 * len(ids))
    return text, len(chars), ids, n_train, _windows(ids[:n_train], L), _windows(ids[n_train:], L)


def bench_throughput(lines: list[str], text_path: str, tp_steps: int) -> None:
    """fit() against the bare loop, same model size, same batches, interleaved step by step: fit's
    on_step callback runs one bare step (timed on its own), so the two alternate every step and bursts
    of load from other processes hit both alike. fit's step time is the time between callbacks less the
    bare step inside; its first step (setup, input checks) is left out."""
    rec = RECIPES["charlm"]
    L = rec["seq_len"]
    _, V, _, _, train, _ = _lm_data(text_path, L)
    kw, cfg0 = recipe("charlm", "lstm")
    H, B = kw["hidden"], cfg0.batch_size
    x, y = train
    if tp_steps * B > x.shape[0]:
        raise ValueError(f"--throughput-steps must be at most {x.shape[0] // B} (one epoch)")
    cfg = FitConfig(lr=cfg0.lr, steps=tp_steps, batch_size=B, clip=cfg0.clip, seed=0, deadline_s=None,
                    eval_every=10**4)
    bare = BareLoop(x, y, V, H, B, 0, cfg0.lr)
    fit_t, bare_t, last = [], [], [None]

    def interleave(p):
        t = time.perf_counter()
        if last[0] is not None:
            fit_t.append(t - last[0])
        bare_t.append(bare.step(p.step - 1))
        last[0] = time.perf_counter()

    mm = seq_model("many_to_many", "lstm", vocab=V, out=V, seed=0, **kw)
    fit(mm, train, None, cfg, on_step=interleave)
    bare_t = bare_t[1:]                                        # same count, first step of each left out
    med_b, med_f = float(np.median(bare_t)), float(np.median(fit_t))
    chars = B * L
    lines += ["### Throughput: `fit` vs a bare fused nn.LSTM loop", "",
              f"LSTM-{H}, batch {B} × {L} characters, the same {tp_steps} batches (fit's seeded shuffle) in both. "
              "The bare loop is embedding -> nn.LSTM -> Linear, cross-entropy, backward, Adam (rnnviz.training.optim) and "
              "nothing else; `fit` adds clipping, the NaN guard, per-step loss/accuracy and its callbacks. The two "
              "alternate step by step (fit's on_step runs one bare step), so load from other processes hits both "
              f"alike; {len(fit_t)} steps of each timed (first left out). Ratio of medians; ratio of the sums "
              f"{sum(bare_t) / sum(fit_t):.2f}.", "",
              "| loop | median ms / step | characters / s | ratio |", "|---|---|---|---|",
              f"| bare fused nn.LSTM | {1000 * med_b:.1f} | {chars / med_b:,.0f} | 1.00 |",
              f"| rnnviz.training.fit.fit | {1000 * med_f:.1f} | {chars / med_f:,.0f} | **{med_b / med_f:.2f}** |", ""]
    print("\n".join(lines[-5:]), flush=True)


# ------------------------------------------------------------------------------ row-by-row MNIST


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (optionally gzipped): magic 0x0000 | dtype 0x08 (ubyte) | ndim, then big-endian int32 dims."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[0] or raw[1] or raw[2] != 0x08:
        raise ValueError(f"{path.name} is not an unsigned-byte IDX file")
    nd = raw[3]
    dims = np.frombuffer(raw, ">i4", nd, 4).astype(int)
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * nd)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path.name}: {data.size} values for dimensions {tuple(dims)}")
    return data.reshape(dims)


def bench_rows(lines: list[str], folder: str) -> None:
    folder = Path(folder)
    imgs = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    x = torch.tensor(imgs, dtype=torch.float32) / 255.0                # (10000, 28, 28): 28 steps of 28 pixels
    y = torch.tensor(labels, dtype=torch.long)
    train, test = (x[:8000], y[:8000]), (x[8000:], y[8000:])
    rec = RECIPES["mnist_rows"]
    kw, cfg = recipe("mnist_rows", "lstm")
    m = seq_model("many_to_one", "lstm", in_features=28, out=10, seed=0, **kw)
    r, cpu = _timed_fit(m, train, test, cfg)
    lines += ["## MNIST read row by row (28 steps of 28 pixels), many-to-one", "",
              f"`{folder}/t10k-*-ubyte.gz` (the 10,000 MNIST test images), read as IDX with numpy + gzip; first 8000 "
              f"for training, last 2000 for testing; pixels / 255. Recipe `RECIPES['mnist_rows']`: LSTM, "
              f"{_recipe_text('mnist_rows')}.", "",
              "| model | steps | train seconds (wall) | train CPU seconds | test accuracy | published |",
              "|---|---|---|---|---|---|",
              f"| LSTM-{rec['model']['hidden']} (this app, 8k training images) | {r.steps} ({r.status}) | "
              f"{r.seconds:.1f} | {cpu:.1f} | **{r.val_accuracy:.1%}** | about 97–99% (128-unit LSTM, 60k training "
              "images) |", "", "Test accuracy during training: " + ", ".join(
                  f"step {s}: {a:.1%}" for s, a in zip(r.val_steps, r.val_accuracies)), ""]
    print("\n".join(lines[-4:]), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--text", default=str(ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"),
                    help="UTF-8 text file for the character LM (default ../shared/data/tinyshakespeare.txt)")
    ap.add_argument("--mnist-dir", default=str(ROOT.parent / "shared" / "data"),
                    help="folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
    ap.add_argument("--cells", nargs="+", default=["gru", "lstm", "rnn"], choices=["gru", "lstm", "rnn"],
                    help="cells for the MNIST-1D table (default: gru lstm rnn)")
    ap.add_argument("--throughput-steps", type=int, default=150,
                    help="steps of each loop in the fit-vs-bare-loop comparison (default 150)")
    ap.add_argument("--skip", nargs="*", default=[], choices=SECTIONS, help="sections to leave out")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "tasks.md"),
                    help="markdown file to write (default bench/results/tasks.md)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    load0, t_all = load1(), time.perf_counter()
    lines: list[str] = []
    if "mnist1d" not in args.skip:
        bench_mnist1d(lines, args.cells)
    if "lm" not in args.skip:
        bench_lm(lines, args.text)
    if "throughput" not in args.skip:
        bench_throughput(lines, args.text, args.throughput_steps)
    if "rows" not in args.skip:
        bench_rows(lines, args.mnist_dir)
    total = time.perf_counter() - t_all
    write_report(args.out, "rnnviz sequence tasks benchmark", "bench_tasks.py", None, load0, "\n".join(lines), [
        f"total benchmark time {total:.0f} s (data generation and loading included)"])


if __name__ == "__main__":
    main()
