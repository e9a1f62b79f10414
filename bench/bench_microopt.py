"""What each of the engine's merged calls buys: epochs/s with each switched off, interleaved in one process.

    python -m bench.bench_microopt

``playground.engine.network.Pass`` merges two kinds of NumPy call (see its docstring): the activation
derivatives of consecutive same-activation layers (one call over their buffers) and the weight and
bias gradients of consecutive same-shape layers (one stacked matmul and reduction). This script
rebuilds trainers with either or both replaced by the plain per-layer calls and times them side by
side; ratios are per round against "neither", median over rounds. Recording is off (record_every
huge) so that only the training loop is compared.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import playground.engine.network as network_module  # noqa: E402
from playground import Trainer, TrainingConfig  # noqa: E402

CASES = {
    "[4,2] tanh, batch 10": ((4, 2), "tanh", 10, 500),
    "8x[8] sigmoid, batch 10": ((8,) * 8, "sigmoid", 10, 500),
    "8x16 sigmoid, batch 10 (lesson 1)": ((16,) * 8, "sigmoid", 10, 500),
    "[64,64] ReLU, batch 32": ((64, 64), "relu", 32, 2000),
}
MERGED_RUNS, MERGED_STACK = network_module.Pass._derivative_runs, network_module._stacked_gradients


def _per_layer_runs(self, n, hidden_sizes):
    return [
        (kernels.derivative, a, scratch, mask)
        for kernels, a, scratch, mask in zip(self.kernels, self.hidden, self.scratch, self.masks)
        if kernels.factor != "none"
    ]


def _no_stacking(network, n, activation_buffer, delta_buffer):
    return [], set()


VARIANTS = {
    "both": (MERGED_RUNS, MERGED_STACK),
    "no fused derivatives": (_per_layer_runs, MERGED_STACK),
    "no stacked gradients": (MERGED_RUNS, _no_stacking),
    "neither": (_per_layer_runs, _no_stacking),
}


def main(rounds: int = 9, epochs: int = 100) -> None:
    try:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=1)
    except ImportError:
        limit = None
    print(f"{'configuration':36s} " + " ".join(f"{name:>22s}" for name in VARIANTS))
    for label, (hidden, activation, batch, n_points) in CASES.items():
        config = TrainingConfig(
            n_points=n_points, hidden_layers=hidden, activations=(activation,) * len(hidden), batch_size=batch
        )
        trainers = {}
        for name, (runs, stack) in VARIANTS.items():
            network_module.Pass._derivative_runs, network_module._stacked_gradients = runs, stack
            trainers[name] = Trainer(config, record_every=10**9)
            trainers[name].train(3)
        network_module.Pass._derivative_runs, network_module._stacked_gradients = MERGED_RUNS, MERGED_STACK
        rates = {name: [] for name in VARIANTS}
        for _ in range(rounds):
            for name, trainer in trainers.items():
                start = time.perf_counter()
                trainer.train(epochs)
                rates[name].append(epochs / (time.perf_counter() - start))
        base = rates["neither"]
        cells = [
            f"{statistics.median(r):6.0f} ep/s ({statistics.median(a / b for a, b in zip(r, base)):.2f}x)"
            for r in rates.values()
        ]
        print(f"{label:36s} " + " ".join(f"{cell:>22s}" for cell in cells))
    if limit is not None:
        limit.unregister()


if __name__ == "__main__":
    main()
