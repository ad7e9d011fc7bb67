"""Inferno's Florian example from Python: STDP, MSTDP and MSTDPET on one synapse each (after
Florian 2007), the eight panels of Inferno's figure (spikes, the two traces, the three weights,
MSTDPET's eligibility, the reward). Runs scenes/florian_stdp_mstdp_mstdpet.ron, prints the final
weights (Inferno: 0.26904, 0.20330, 0.33420) and, when matplotlib is installed, draws the figure.

    python python/examples/florian_figure.py [--out florian.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import hebb

SCENE = Path(__file__).resolve().parents[2] / "scenes" / "florian_stdp_mstdp_mstdpet.ron"


def column(net: hebb.Network, recorder: str, name: str) -> np.ndarray:
    _, v = net.state(recorder)
    return v[:, net.state_columns(recorder).index(name)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("florian.png"), help="image to write (needs matplotlib)")
    args = parser.parse_args()

    net = hebb.load(SCENE)
    net.run()
    t, _ = net.state("w_stdp")
    for rule in ("stdp", "mstdp", "mstdpet"):
        print(f"final weight {rule:8s} {column(net, f'w_{rule}', 'w[0,0]')[-1]:.5f}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure drawn")
        return
    panels = [
        ("spikes", None),
        ("presynaptic trace", ("traces_stdp", "trace_pre[0]")),
        ("postsynaptic trace", ("traces_stdp", "trace_post[0]")),
        ("STDP weight", ("w_stdp", "w[0,0]")),
        ("MSTDP weight", ("w_mstdp", "w[0,0]")),
        ("MSTDPET eligibility", ("eligibility", "eligibility[0]")),
        ("MSTDPET weight", ("w_mstdpet", "w[0,0]")),
        ("reward", ("reward", "reward[0]")),
    ]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 11), sharex=True)
    for ax, (title, source) in zip(axes, panels):
        if source is None:
            for k, pop in enumerate(("pre", "post")):
                ts, _ = net.spikes(pop)
                ax.vlines(ts, k, k + 0.8, color=("tab:blue", "tab:red")[k])
            ax.set_yticks([0.4, 1.4], ["pre", "post"])
        else:
            ax.plot(t, column(net, *source), lw=1.2)
        ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
    axes[-1].set_xlabel("t (ms)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
