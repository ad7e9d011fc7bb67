"""Loading scenes: every bundled scene loads and runs; the spikes, states and weights equal the
`hebb` command's CSV output for the same scene and seed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import hebb
from conftest import SCENES, read_spikes_csv, read_state_csv, run_cli

ALL_SCENES = sorted(SCENES.glob("*.ron"))


def test_there_are_bundled_scenes():
    assert any(p.name == "song2000_stdp.ron" for p in ALL_SCENES)


@pytest.mark.parametrize("scene", ALL_SCENES, ids=lambda p: p.stem)
def test_every_bundled_scene_loads_and_runs(scene: Path):
    net = hebb.load(scene)
    steps = min(20, round(net.duration_ms / net.dt_ms))
    net.run(steps * net.dt_ms)
    assert net.step == steps
    assert math.isclose(net.t_ms, steps * net.dt_ms)
    assert net.populations, "a scene has populations"
    spiking, states = net._sim.recorder_names()
    for pop in spiking:
        t, i = net.spikes(pop)
        assert t.shape == i.shape and t.dtype == np.float64 and i.dtype == np.int64
        assert np.all(t <= net.t_ms)
    for name in states:
        t, v = net.state(name)
        assert v.ndim == 2 and v.shape[0] == t.shape[0] and v.shape[1] == len(net.state_columns(name))


def _same_as_cli(tmp_path: Path, cli: Path, scene: Path, seed: int, duration_ms: float | None = None):
    """Run `scene` with `seed` for `duration_ms` (default: its duration) through the CLI (on the
    scene text `to_scene` gives) and through `hebb.load(scene, seed=…)`."""
    net = hebb.load(scene, seed=seed)
    text = net.to_scene()
    if duration_ms is not None:
        text = "\n".join(
            f"    duration_ms: {duration_ms!r}," if l.startswith("    duration_ms:") else l for l in text.splitlines()
        )
    written = tmp_path / scene.name
    written.write_text(text + "\n")
    out = tmp_path / "out"
    run_cli(cli, "run", str(written), "--out", str(out))
    net.run(duration_ms)
    return net, out


@pytest.mark.parametrize(
    "scene_name, seed, duration_ms",
    [
        ("poisson_lif_conductance.ron", 7, 300.0),
        ("song2000_stdp.ron", 3, 2000.0),
        ("florian_stdp_mstdp_mstdpet.ron", 0, None),
    ],
)
def test_recordings_equal_the_cli_csv(tmp_path: Path, hebb_cli: Path, scene_name: str, seed: int, duration_ms):
    net, out = _same_as_cli(tmp_path, hebb_cli, SCENES / scene_name, seed, duration_ms)
    spiking, states = net._sim.recorder_names()
    assert spiking or states
    total_spikes = 0
    for pop in spiking:
        t_cli, i_cli = read_spikes_csv(out / f"spikes_{pop}.csv")
        t, i = net.spikes(pop)
        total_spikes += len(t)
        # Bit-identical: the same spikes at the same times (CSV times are written exactly).
        np.testing.assert_array_equal(i, i_cli)
        np.testing.assert_array_equal(t, t_cli)
    assert total_spikes > 0, "the comparison must cover some spikes"
    for name in states:
        columns, t_cli, cells = read_state_csv(out / f"{name}.csv")
        t, v = net.state(name)
        assert net.state_columns(name) == columns
        np.testing.assert_array_equal(t, t_cli)
        # The CSV holds each f32 value's shortest round-trip text: parse it back as the same f32.
        cli_values = np.array(cells, dtype=np.float64).astype(v.dtype).reshape(v.shape)
        np.testing.assert_array_equal(v, cli_values)


def test_weights_equal_the_cli_weight_recording(tmp_path: Path, hebb_cli: Path):
    # Florian: three 1→1 plastic projections recorded as Weights every step; the last row of
    # the CLI's recording is the final weight Python reads.
    net, out = _same_as_cli(tmp_path, hebb_cli, SCENES / "florian_stdp_mstdp_mstdpet.ron", 0)
    for proj in ("stdp", "mstdp", "mstdpet"):
        pre, post, w = net.weights(proj)
        columns, _, cells = read_state_csv(out / f"w_{proj}.csv")
        assert columns == [f"w[{a},{b}]" for a, b in zip(pre, post)]
        last = np.array(cells[-1], dtype=np.float64).astype(w.dtype)
        np.testing.assert_array_equal(w, last)
