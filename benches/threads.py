#!/usr/bin/env python3
"""Thread and rank scaling of `hebb run`, measured in alternation so that the machine's drift
hits every configuration alike.

For each scene, runs every configuration in turn (`--threads N`, or `mpirun -n K`) for
`--pairs` rounds, reads the stepping time (`wall_seconds` of `summary.json`: the loop only, not
building or writing) and prints, per configuration, the median time and the median over rounds
of the speed-up against the first configuration (per-round ratios, never ratios of medians).
It also checks that every configuration wrote the same spike files as the first.

    python3 benches/threads.py --hebb target/release/hebb \\
        --scene scenes/brette2007_coba_64k.ron --duration-ms 1000 \\
        --config threads=1 --config threads=2 --config ranks=2 --pairs 5
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def run(hebb, scene, duration, config, out):
    kind, n = config.split("=")
    cmd = [hebb, "run", scene, "--out", str(out), "-q", "--duration-ms", str(duration)]
    if kind == "threads":
        cmd += ["--threads", n]
    elif kind == "ranks":
        cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", n] + cmd + ["--threads", "1"]
    else:
        sys.exit(f"unknown configuration {config!r}: use threads=N or ranks=K")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    summary = json.loads((out / "summary.json").read_text())
    spikes = {p.name: p.read_bytes() for p in sorted(out.glob("spikes_*"))}
    return summary["wall_seconds"], spikes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hebb", default="target/release/hebb")
    ap.add_argument("--scene", required=True)
    ap.add_argument("--duration-ms", type=float, required=True)
    ap.add_argument("--config", action="append", required=True, help="threads=N or ranks=K")
    ap.add_argument("--pairs", type=int, default=5)
    a = ap.parse_args()
    times = {c: [] for c in a.config}
    with tempfile.TemporaryDirectory() as tmp:
        reference = None
        for round_ in range(a.pairs + 1):  # round 0 warms the caches and is not counted
            for c in a.config:
                out = Path(tmp) / f"{c}_{round_}"
                t, spikes = run(a.hebb, a.scene, a.duration_ms, c, out)
                if reference is None:
                    reference = spikes
                elif spikes != reference:
                    sys.exit(f"{c}: the spike files differ from {a.config[0]}'s")
                if round_ > 0:
                    times[c].append(t)
                shutil.rmtree(out)
    base = times[a.config[0]]
    print(f"{a.scene} ({a.duration_ms} ms), {a.pairs} rounds; spike files identical")
    for c in a.config:
        speedups = [b / t for b, t in zip(base, times[c])]
        print(
            f"  {c:>10}: median {statistics.median(times[c]):.3f} s, speed-up vs {a.config[0]}: "
            f"median {statistics.median(speedups):.2f}x (min {min(speedups):.2f}, max {max(speedups):.2f})"
        )


if __name__ == "__main__":
    main()
