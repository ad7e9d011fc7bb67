"""A parameter sweep in parallel processes: Song 2000's output rate and final weights over seeds
and the input rate, one process per point (concurrent.futures). Each worker loads the scene,
changes the input rate through the scene text and runs it; the results are identical to running
each point alone (the seed fixes every random number).

    python python/examples/parameter_sweep.py [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import itertools
import re
from pathlib import Path

import numpy as np

import hebb

SCENE = Path(__file__).resolve().parents[2] / "scenes" / "song2000_stdp.ron"


def run_point(seed: int, rate_hz: float, seconds: float) -> tuple:
    text = hebb.load(SCENE, seed=seed).to_scene()
    text = re.sub(r"Poisson\(rate_hz: [^,]+,", f"Poisson(rate_hz: {rate_hz!r},", text, count=1)
    net = hebb.loads(text, name=f"song2000 (input {rate_hz} Hz)")
    net.run(seconds * 1000.0, progress=False)
    t, _ = net.spikes("neuron")
    w = net.weights("input_to_neuron")[2]
    return seed, rate_hz, len(t) / seconds, float(w.mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated time per point (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rates", type=float, nargs="+", default=[10.0, 15.0, 20.0])
    args = parser.parse_args()

    points = list(itertools.product(args.seeds, args.rates))
    with cf.ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_point, *zip(*points), itertools.repeat(args.seconds)))
    print("seed  input Hz  output Hz  mean w")
    for seed, rate, out, w in sorted(results):
        print(f"{seed:4d}  {rate:8.1f}  {out:9.2f}  {w:.5f}")
    by_rate = {r: np.mean([o for s, rr, o, _ in results if rr == r]) for r in args.rates}
    print("mean output rate by input rate:", {r: round(v, 2) for r, v in by_rate.items()})


if __name__ == "__main__":
    main()
