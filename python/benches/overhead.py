"""Python overhead benchmark (a report, not a test): run it after `pip install ./python` and
`cargo build --release -p hebb_cli`.

1. Song 2000 (scenes/song2000_stdp.ron): `net.run` from Python against the CLI's stepping time
   (`wall_seconds` in summary.json), alternating the two, median of the per-pair ratios.
2. The same run with a callback every 10 ms of simulated time (it sets the reward), against
   the run without callback, alternating, median ratio.
3. Reading a 1000-column x 10 000-row state recording into numpy (`net.state`): one memcpy of
   the recorder's buffer into a new array. Median time, and the median ratio to numpy's own
   copy of an array of the same size taken right after it (on a loaded machine the absolute
   time is memory-bound and varies with the load; the ratio shows the overhead).

    python python/benches/overhead.py [--seconds 20] [--pairs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import hebb

ROOT = Path(__file__).resolve().parents[2]
SCENE = ROOT / "scenes" / "song2000_stdp.ron"


def scene_for(seconds: float, tmp: Path) -> Path:
    text = hebb.load(SCENE).to_scene()
    text = "\n".join(
        f"    duration_ms: {seconds * 1000.0!r}," if l.startswith("    duration_ms:") else l for l in text.splitlines()
    )
    path = tmp / "song.ron"
    path.write_text(text + "\n")
    return path


def cli_seconds(cli: Path, scene: Path, out: Path) -> float:
    subprocess.run([str(cli), "run", str(scene), "--out", str(out), "--force", "--quiet"], check=True,
                   capture_output=True)
    return json.loads((out / "summary.json").read_text())["wall_seconds"]


def python_seconds(scene: Path, callback: bool) -> float:
    net = hebb.load(scene)
    start = time.perf_counter()
    if callback:
        net.run(every_ms=10.0, callback=lambda n: n.set_reward(0.0), progress=False)
    else:
        net.run(progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="simulated seconds of Song 2000")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--cli", type=Path, default=ROOT / "target" / "release" / "hebb")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        scene = scene_for(args.seconds, tmp)
        ratios, cb_ratios = [], []
        for _ in range(args.pairs):
            c = cli_seconds(args.cli, scene, tmp / "out")
            p = python_seconds(scene, callback=False)
            q = python_seconds(scene, callback=True)
            ratios.append(p / c)
            cb_ratios.append(q / p)
            print(f"  CLI {c:.3f} s   Python {p:.3f} s   Python + callback {q:.3f} s")
        print(f"Song 2000, {args.seconds:g} s simulated: Python / CLI stepping time, median of {args.pairs}: "
              f"{statistics.median(ratios):.3f}")
        print(f"callback every 10 ms: with / without, median of {args.pairs}: {statistics.median(cb_ratios):.3f}")

    net = hebb.Network(dt_ms=0.1, seed=1)
    net.population("n", 1000, hebb.models.LifRef(bias_current=5.0))
    net.record_state("v", "n", ["v"])
    net.run(1000.0, progress=False)
    same_size = np.ones((10000, 1000), dtype=np.float32)
    times, copies = [], []
    for _ in range(15):
        start = time.perf_counter()
        t, v = net.state("v")
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        c = same_size.copy()
        copies.append(time.perf_counter() - start)
        del c
    assert v.shape == (10000, 1000), v.shape
    ratio = statistics.median(a / b for a, b in zip(times, copies))
    print(f"net.state of a {v.shape[0]} x {v.shape[1]} recording: median {1000 * statistics.median(times):.1f} ms "
          f"(min {1000 * min(times):.1f} ms); numpy's copy of the same size: median {1000 * statistics.median(copies):.1f} ms; "
          f"ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
