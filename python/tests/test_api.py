"""The Python API on loaded scenes: errors, weights, reward, imposed spikes, snapshots, state
arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hebb
from conftest import ROOT, SCENES

MALFORMED = ROOT / "tests" / "malformed"


def test_scene_errors_name_file_line_and_column():
    with pytest.raises(hebb.SceneError) as err:
        hebb.load(MALFORMED / "off_grid_delay.ron")
    e = err.value
    assert str(e).startswith(f"{MALFORMED / 'off_grid_delay.ron'}:{e.line}:{e.column}: ")
    assert e.line is not None and e.line > 1 and e.column >= 1
    assert "delay_ms" in str(e) and e.element is not None
    assert isinstance(e, hebb.HebbError)


def test_missing_file_is_a_scene_error():
    with pytest.raises(hebb.SceneError, match="cannot read"):
        hebb.load(ROOT / "no_such_scene.ron")


@pytest.mark.parametrize("name", sorted(p.name for p in MALFORMED.glob("*.ron")))
def test_every_malformed_scene_raises_a_hebb_error(name: str):
    with pytest.raises(hebb.HebbError) as err:
        hebb.load(MALFORMED / name)
    assert str(err.value).startswith(str(MALFORMED / name))


def test_build_errors_are_build_errors():
    # A recorder naming a variable the population does not have is found when building.
    with pytest.raises(hebb.BuildError, match="variable"):
        hebb.load(MALFORMED / "bad_recorder_variable.ron")


def test_seed_replaces_the_scene_seed():
    a = hebb.load(SCENES / "poisson_lif_conductance.ron", seed=1).run(50.0)
    b = hebb.load(SCENES / "poisson_lif_conductance.ron", seed=1).run(50.0)
    c = hebb.load(SCENES / "poisson_lif_conductance.ron", seed=2).run(50.0)
    assert a.seed == 1 and c.seed == 2
    ta, ia = a.spikes("exc_input")
    tb, ib = b.spikes("exc_input")
    tc, ic = c.spikes("exc_input")
    np.testing.assert_array_equal(ia, ib)
    np.testing.assert_array_equal(ta, tb)
    assert len(ta) != len(tc) or not np.array_equal(ia, ic)


def test_run_without_argument_runs_to_the_scene_duration_and_steps_must_fit_the_grid():
    net = hebb.load(SCENES / "florian_stdp_mstdp_mstdpet.ron")
    net.run(50.0)
    net.run()
    assert net.t_ms == net.duration_ms == 201.0
    with pytest.raises(ValueError, match="whole number of time steps"):
        net.run(0.5)
    with pytest.raises(ValueError):
        net.run(-1.0)


def test_weights_are_copies_and_set_weights_checks_shape_and_values():
    net = hebb.load(SCENES / "song2000_stdp.ron", seed=3)
    pre, post, w = net.weights("input_to_neuron")
    assert pre.shape == post.shape == w.shape == (1000,)
    np.testing.assert_array_equal(pre, np.arange(1000))
    np.testing.assert_array_equal(post, np.zeros(1000))
    w[:] = 123.0  # a copy: the network is unchanged
    assert not np.any(net.weights("input_to_neuron")[2] == 123.0)
    half = net.weights("input_to_neuron")[2] * 0.5
    net.set_weights("input_to_neuron", half)
    np.testing.assert_array_equal(net.weights("input_to_neuron")[2], half)
    with pytest.raises(ValueError, match="expected 1000 weights"):
        net.set_weights("input_to_neuron", half[:10])
    with pytest.raises(ValueError, match="1-D"):
        net.set_weights("input_to_neuron", half.reshape(10, 100))
    bad = half.copy()
    bad[7] = np.nan
    with pytest.raises(ValueError, match="weight 7 is NaN"):
        net.set_weights("input_to_neuron", bad)
    with pytest.raises(KeyError, match="unknown projection"):
        net.weights("nope")
    np.testing.assert_array_equal(net.weights("input_to_neuron")[2], half)


def test_set_weights_changes_the_run():
    a = hebb.load(SCENES / "song2000_stdp.ron", seed=3)
    b = hebb.load(SCENES / "song2000_stdp.ron", seed=3)
    b.set_weights("input_to_neuron", np.zeros(1000))
    a.run(500.0)
    b.run(500.0)
    assert len(a.spikes("neuron")[0]) > 0
    assert len(b.spikes("neuron")[0]) == 0


def test_reward_and_imposed_spikes():
    net = hebb.load(SCENES / "florian_stdp_mstdp_mstdpet.ron")
    net.set_reward(0.5)
    assert net.reward_value == 0.5
    with pytest.raises(ValueError, match="finite"):
        net.set_reward(float("inf"))
    net.run(20.0)
    before = len(net.spikes("post")[0])
    net.impose_spikes("post", [0])
    net.run(1.0)
    t, i = net.spikes("post")
    assert len(t) == before + 1 and t[-1] == 20.0 and i[-1] == 0
    with pytest.raises(ValueError, match="out of range"):
        net.impose_spikes("post", [5])
    with pytest.raises(ValueError):
        net.impose_spikes("post", [-1])
    with pytest.raises(KeyError):
        net.impose_spikes("nope", [0])


def test_state_arrays_have_rows_per_step_and_columns():
    net = hebb.load(SCENES / "poisson_lif_conductance.ron")
    net.run(10.0)
    t, v = net.state("v_neurons")
    assert t.shape == (100,) and v.shape == (100, 3)
    assert net.state_columns("v_neurons") == ["v[0]", "v[1]", "v[2]"]
    assert v.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(t, np.arange(100) * 0.1, rtol=0, atol=1e-9)
    with pytest.raises(KeyError, match="no state recorder"):
        net.state("nope")
    with pytest.raises(KeyError, match="no spike recorder"):
        net.spikes("inh_input")


def test_snapshot_round_trip_is_bit_for_bit(tmp_path: Path):
    straight = hebb.load(SCENES / "song2000_stdp.ron", seed=4)
    straight.run(600.0)
    first = hebb.load(SCENES / "song2000_stdp.ron", seed=4)
    first.run(300.0)
    first.save_snapshot(tmp_path / "a.hebbsnap")
    second = hebb.resume(tmp_path / "a.hebbsnap")
    assert second.t_ms == 300.0 and second.seed == 4
    second.run(300.0)
    t1, i1 = straight.spikes("neuron")
    t2, i2 = second.spikes("neuron")
    assert len(t1) > 0
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(straight.weights("input_to_neuron")[2], second.weights("input_to_neuron")[2])


def test_resume_of_a_non_snapshot_is_a_scene_error(tmp_path: Path):
    bad = tmp_path / "x.hebbsnap"
    bad.write_bytes(b"not a snapshot at all")
    with pytest.raises(hebb.SceneError, match="not a hebb snapshot"):
        hebb.resume(bad)
