#!/usr/bin/env python3
"""PyTorch half of the LSTM side-by-side benchmark (a measurement, not a test).

The JS bench builds a Keras-style model in TensorFlow.js (tfjs-layers) and, to put a
number beside it, spawns this script as

    python3 bench/lstm_torch.py --units 128,64,32 --dense 16 --steps 20 --features 7 \
        --train-sequences 2048 --batch 64 --epochs 2 --infer-batch 131 --infer-repeats 50 \
        --seed 1 --threads 1

and parses the single JSON line it prints on stdout (nothing else goes to stdout).
Errors (a bad argument, torch not importable) are one line on stderr and exit code 2.

The model mirrors the tfjs one layer for layer:
    input [batch, steps, features]
    -> LSTM(u1, return_sequences) -> Dropout(0.2) -> LSTM(u2, return_sequences) -> Dropout(0.2)
    -> LSTM(u3), last hidden state only -> Dense(dense, relu) -> Dense(1, sigmoid)
trained with Adam(lr 1e-3) on binary cross-entropy. Any number of LSTM layers may be
given with --units; every one but the last returns sequences and is followed by Dropout.

Debian's python3-torch lives under /usr/bin/python3; a pyenv or venv `python3` earlier
on PATH will not see it, so the caller may have to name /usr/bin/python3 explicitly.

Debian's torch does its matrix products through whatever libblas.so.3 the system's
alternatives select; with only libblas3 installed that is the unoptimised reference BLAS,
which dominates LSTM time. Read these numbers together with that choice.
"""
import argparse
import json
import math
import statistics
import sys
import time

PROG = "lstm_torch.py"
DROPOUT = 0.2
LEARNING_RATE = 1e-3
# Keras' Adam uses epsilon=1e-7 (tfjs: backend epsilon); PyTorch defaults to 1e-8.
ADAM_EPSILON = 1e-7
TRAIN_WARMUP_BATCHES = 3
INFER_WARMUP_CALLS = 3


class OneLineParser(argparse.ArgumentParser):
    """argparse prints usage plus a message over several lines; the JS caller reads
    stderr as one line, so errors are reduced to one line naming argument and value."""

    def error(self, message):
        sys.stderr.write(f"{PROG}: error: {message}\n")
        sys.exit(2)


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1: {text!r}")
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def unit_list(text):
    parts = text.split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of integers: {text!r}")
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"every unit count must be >= 1: {text!r}")
    return values


def parse_args(argv):
    p = OneLineParser(
        prog=PROG,
        description="PyTorch side of the LSTM benchmark against the tfjs model: trains and times "
        "a stacked LSTM classifier on seeded random data and prints one JSON line on stdout.",
    )
    p.add_argument("--units", type=unit_list, default=[128, 64, 32],
                   help="LSTM sizes, comma-separated, one layer each (default 128,64,32)")
    p.add_argument("--dense", type=positive_int, default=16, help="hidden Dense(relu) units (default 16)")
    p.add_argument("--steps", type=positive_int, default=20, help="time steps per sequence (default 20)")
    p.add_argument("--features", type=positive_int, default=7, help="features per step (default 7)")
    p.add_argument("--train-sequences", type=positive_int, default=2048,
                   help="sequences per training epoch (default 2048)")
    p.add_argument("--batch", type=positive_int, default=64, help="training minibatch size (default 64)")
    p.add_argument("--epochs", type=positive_int, default=2, help="timed training epochs (default 2)")
    p.add_argument("--infer-batch", type=positive_int, default=131,
                   help="sequences in the one inference batch (default 131)")
    p.add_argument("--infer-repeats", type=positive_int, default=50,
                   help="timed inference calls (default 50)")
    p.add_argument("--seed", type=non_negative_int, default=1, help="seed for data, init and dropout (default 1)")
    p.add_argument("--threads", type=positive_int, default=1,
                   help="torch intra-op threads (default 1: the bench machine has 2 shared cores)")
    return p.parse_args(argv)


def fail(message):
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.exit(2)


def keras_lstm_params(units, inputs):
    # Keras: kernel [in, 4u] + recurrent kernel [u, 4u] + one bias [4u].
    return 4 * (units * (inputs + units) + units)


def percentile(sorted_values, p):
    # Nearest-rank: with 50 samples p99 is the slowest call, not an interpolation.
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def finite_or_none(x, digits):
    # JSON.parse on the JS side rejects NaN/Infinity, so a diverged loss becomes null.
    return round(x, digits) if math.isfinite(x) else None


def main(argv):
    args = parse_args(argv)

    # Parse before importing torch so --help and argument errors work without it.
    try:
        import torch
        from torch import nn
    except ImportError as e:
        fail(f"torch is not importable by {sys.executable} ({e}); Debian's python3-torch is for /usr/bin/python3")

    # Threads are fixed before any torch work: interop threads cannot be changed later,
    # and more threads than free cores only measures contention.
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    class KerasLikeLstm(nn.Module):
        def __init__(self, features, units, dense):
            super().__init__()
            sizes = [features] + units
            self.lstms = nn.ModuleList(
                nn.LSTM(sizes[i], sizes[i + 1], batch_first=True) for i in range(len(units))
            )
            self.dropout = nn.Dropout(DROPOUT)
            self.hidden = nn.Linear(units[-1], dense)
            self.out = nn.Linear(dense, 1)
            self._keras_init()

        def _keras_init(self):
            # Keras defaults, so that losses are comparable and not just timings:
            # glorot_uniform kernels, orthogonal recurrent kernels, zero biases with
            # unit_forget_bias (forget gate bias 1). PyTorch gate order is i, f, g, o.
            for lstm in self.lstms:
                u = lstm.hidden_size
                nn.init.xavier_uniform_(lstm.weight_ih_l0)
                nn.init.orthogonal_(lstm.weight_hh_l0)
                with torch.no_grad():
                    lstm.bias_ih_l0.zero_()
                    lstm.bias_ih_l0[u:2 * u].fill_(1.0)
                    # PyTorch adds a second bias; zeroed so the sum equals Keras' one bias.
                    lstm.bias_hh_l0.zero_()
            for linear in (self.hidden, self.out):
                nn.init.xavier_uniform_(linear.weight)
                nn.init.zeros_(linear.bias)

        def forward(self, x):
            last = len(self.lstms) - 1
            for i, lstm in enumerate(self.lstms):
                x, _ = lstm(x)
                if i < last:
                    x = self.dropout(x)
            # Keras LSTM without return_sequences yields the last step's hidden state.
            x = x[:, -1, :]
            x = torch.relu(self.hidden(x))
            # Sigmoid inside the model (not BCEWithLogits) so inference returns
            # probabilities, as the tfjs model's Dense(1, sigmoid) does.
            return torch.sigmoid(self.out(x))

    model = KerasLikeLstm(args.features, args.units, args.dense)

    torch_params = sum(p.numel() for p in model.parameters())
    # Keras has one bias per gate where PyTorch has bias_ih and bias_hh.
    extra_biases = sum(lstm.bias_hh_l0.numel() for lstm in model.lstms)
    params = torch_params - extra_biases
    sizes = [args.features] + args.units
    expected = (
        sum(keras_lstm_params(sizes[i + 1], sizes[i]) for i in range(len(args.units)))
        + args.units[-1] * args.dense + args.dense
        + args.dense + 1
    )
    if params != expected:
        fail(f"parameter count {params} differs from the Keras formula {expected}")

    # Random data: this measures speed only, there is nothing to learn.
    gen = torch.Generator().manual_seed(args.seed)
    n = args.train_sequences
    x_train = torch.rand(n, args.steps, args.features, generator=gen, dtype=torch.float32)
    y_train = torch.randint(0, 2, (n, 1), generator=gen).float()
    x_infer = torch.rand(args.infer_batch, args.steps, args.features, generator=gen, dtype=torch.float32)

    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=ADAM_EPSILON)
    loss_fn = nn.BCELoss()

    def step(xb, yb):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss.item()

    model.train()
    # Warm-up batches (allocator, first-call setup) run before and outside the timed epochs.
    for b in range(min(TRAIN_WARMUP_BATCHES, math.ceil(n / args.batch))):
        sl = slice(b * args.batch, (b + 1) * args.batch)
        step(x_train[sl], y_train[sl])

    epoch_seconds = []
    final_loss = float("nan")
    for _ in range(args.epochs):
        order = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        t0 = time.perf_counter()
        for start in range(0, n, args.batch):
            idx = order[start:start + args.batch]
            # Shuffled gather is part of each step, as it is in Keras' fit.
            loss_sum += step(x_train[idx], y_train[idx]) * len(idx)
        epoch_seconds.append(time.perf_counter() - t0)
        # Like Keras' history: the epoch's loss is the mean over its sequences.
        final_loss = loss_sum / n

    model.eval()
    infer_ms = []
    with torch.no_grad():
        for _ in range(INFER_WARMUP_CALLS):
            model(x_infer)
        for _ in range(args.infer_repeats):
            t0 = time.perf_counter()
            model(x_infer)
            infer_ms.append((time.perf_counter() - t0) * 1000)
    infer_ms.sort()

    result = {
        "framework": "pytorch",
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "units": args.units,
        "dense": args.dense,
        "steps": args.steps,
        "features": args.features,
        "params": params,
        "torch_params": torch_params,
        "train_sequences_per_s": round(statistics.median(n / s for s in epoch_seconds), 1),
        "epoch_seconds": [round(s, 4) for s in epoch_seconds],
        "final_loss": finite_or_none(final_loss, 6),
        "infer_batch": args.infer_batch,
        "infer_ms_p50": round(percentile(infer_ms, 50), 3),
        "infer_ms_p99": round(percentile(infer_ms, 99), 3),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
