"""Song, Miller & Abbott (2000) from Python: 1000 Poisson inputs, one neuron, additive STDP with
hard bounds; after enough simulated time the weights split into a bimodal distribution (most at
0 or at w_max). Runs scenes/song2000_stdp.ron and prints (and with matplotlib, draws) the
weight histogram.

    python python/examples/song2000.py [--seconds 100] [--seed 3] [--out song2000_weights.png]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import hebb

SCENE = Path(__file__).resolve().parents[2] / "scenes" / "song2000_stdp.ron"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=100.0, help="simulated time (s)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write the histogram as an image (needs matplotlib)")
    args = parser.parse_args()

    net = hebb.load(SCENE, seed=args.seed)
    _, _, w0 = net.weights("input_to_neuron")
    start = time.perf_counter()
    net.run(args.seconds * 1000.0)
    wall = time.perf_counter() - start
    t, _ = net.spikes("neuron")
    _, _, w = net.weights("input_to_neuron")
    w_max = float(w0.max()) if w.max() == 0 else float(max(w.max(), w0.max()))
    print(f"{args.seconds:g} s simulated in {wall:.2f} s; output rate {len(t) / args.seconds:.1f} Hz")
    counts, edges = np.histogram(w / w_max, bins=10, range=(0.0, 1.0))
    print("w / w_max   synapses")
    for c, lo in zip(counts, edges):
        print(f"{lo:4.1f}-{lo + 0.1:3.1f}     {c:5d} {'#' * int(60 * c / max(1, counts.max()))}")
    if args.out is not None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib is not installed: no image written")
            return
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.hist(w / w_max, bins=40, range=(0, 1), color="tab:blue")
        ax.set_xlabel("w / w_max")
        ax.set_ylabel("synapses")
        ax.set_title(f"Song 2000 after {args.seconds:g} s")
        fig.tight_layout()
        fig.savefig(args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
