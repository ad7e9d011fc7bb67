"""Networks built in code: hebb.Network, hebb.models generated from the registry, to_scene round
trips, closed-loop callbacks, Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import hebb
from conftest import PY, ROOT, SCENES, python_env, run_cli, read_spikes_csv


def small_network(seed: int = 1, plasticity=None) -> hebb.Network:
    net = hebb.Network(dt_ms=0.1, seed=seed, duration_ms=200.0)
    inp = net.population("input", 200, hebb.models.Poisson(rate_hz=30.0))
    exc = net.population("exc", 50, hebb.models.LifRef(tau_ms=20.0, v_rest_mv=-70.0, v_reset_mv=-70.0,
                                                        v_threshold_mv=-54.0, v_init_mv=-70.0))
    net.projection("in", inp, exc, connectivity=hebb.FixedProbability(p=0.2),
                   weights=hebb.Uniform(0.0, 0.1), synapse=hebb.models.Conductance(tau_ms=5.0, e_rev_mv=0.0),
                   plasticity=plasticity, delay_ms=1.0)
    net.record_spikes("exc")
    net.record_spikes("input")
    net.record_state("v", "exc", ["v"], indices=[0, 1])
    return net


def test_every_registry_model_is_a_class_with_defaults_and_docs():
    names = hebb.models.names()
    for expected in ("Lif", "LifRef", "Poisson", "Exact", "Conductance", "Stdp", "Mstdp", "TsodyksMarkram"):
        assert expected in names
    assert set(hebb.models.names("neuron")) <= set(names) and "Lif" in hebb.models.names("neuron")
    for name in names:
        cls = getattr(hebb.models, name)
        model = cls()  # every model can be made with its defaults
        assert str(model).startswith(name)
        assert cls.NAME == name and cls.KIND
        for pname, unit, doc in cls.PARAMS:
            assert f"{pname} : [{unit}]" in cls.__doc__ and doc in cls.__doc__
    assert "learning rate on postsynaptic spikes" in hebb.models.Stdp.__doc__
    # Parameters named like Python keywords (NEST's `lambda`) are also given with a trailing `_`.
    import keyword

    for name in names:
        cls = getattr(hebb.models, name)
        for pname, default in cls.DEFAULTS.items():
            if keyword.iskeyword(pname):
                assert f"{pname}: " in str(cls(**{pname + "_": default}))
    assert "tau_m_ms : [ms], default 20.0" in hebb.models.Lif.__doc__


def test_unknown_parameters_and_bad_values_raise_at_once():
    with pytest.raises(hebb.ParameterError, match="unknown parameter lr_pst; parameters: lr_post"):
        hebb.models.Stdp(lr_pst=0.1)
    with pytest.raises(TypeError):
        hebb.models.Lif(tau=1.0)
    with pytest.raises(ValueError, match="tau_m_ms must be > 0, got -1"):
        hebb.models.Lif(tau_m_ms=-1.0)
    with pytest.raises(ValueError, match="finite"):
        hebb.models.Lif(tau_m_ms=float("nan"))
    with pytest.raises(ValueError, match="Lif"):
        hebb.models.Lif(integration="Rk5")
    # Enum values: the variant name, or a one-key dict for variants with values.
    assert "integration: Rk2" in str(hebb.models.Lif(integration="Rk2"))
    assert "Hard" in str(hebb.models.Stdp(bounds={"Hard": {"w_min": 0.0, "w_max": 1.0}}))


def test_to_scene_round_trips_and_runs_like_the_cli(tmp_path: Path, hebb_cli: Path):
    # Conductance weights must stay >= 0 (hebb refuses unbounded plasticity on them).
    net = small_network(seed=5, plasticity=hebb.models.Stdp(lr_post=0.001, lr_pre=-0.00105,
                                                             bounds={"Hard": {"w_min": 0.0, "w_max": 0.2}}))
    text = net.to_scene()
    assert "FixedProbability(p: 0.2" in text and "Stdp(" in text and "seed: 5" in text
    path = tmp_path / "net.ron"
    path.write_text(text)
    again = hebb.load(path)
    assert again.to_scene() == text  # hebb's own text of the scene is a fixed point
    out = tmp_path / "out"
    run_cli(hebb_cli, "run", str(path), "--out", str(out))
    net.run()
    t_cli, i_cli = read_spikes_csv(out / "spikes_exc.csv")
    t, i = net.spikes("exc")
    assert len(t) > 10
    np.testing.assert_array_equal(t, t_cli)
    np.testing.assert_array_equal(i, i_cli)


def test_the_issue_example_builds():
    net = hebb.Network(dt_ms=0.1, seed=1)
    # The issue's example (3200 neurons there), with a reset below the threshold (LifRef's
    # defaults are BrainPy's: rest 0 mV, reset -5 mV, which a -50 mV threshold contradicts).
    exc = net.population("exc", 320, hebb.models.LifRef(tau_ms=20.0, v_rest_mv=-60.0, v_reset_mv=-60.0,
                                                         v_init_mv=-60.0, v_threshold_mv=-50.0))
    net.projection("ee", exc, exc, connectivity=hebb.FixedProbability(p=0.02),
                   weights=hebb.Constant(0.6), synapse=hebb.models.Conductance(tau_ms=5.0),
                   plasticity=hebb.models.Stdp(lr_post=0.01, lr_pre=-0.0105,
                                               bounds={"Hard": {"w_min": 0.0}}), delay_ms=1.0)
    net.record_spikes("exc")
    net.record_state("v", "exc", ["v"], indices=[0, 1])
    net.run(5.0)
    t, v = net.state("v")
    assert v.shape == (50, 2)
    assert net.projections[0][0] == "ee" and net.projections[0][3] > 0


def test_structure_is_fixed_once_built_and_errors_are_scene_errors():
    net = small_network()
    net.run(1.0)
    with pytest.raises(hebb.HebbError, match="already built"):
        net.population("more", 1, hebb.models.Exact())
    bad = hebb.Network()
    bad.population("a", 3, hebb.models.Exact())
    bad.projection("p", "a", "nope", synapse=hebb.models.Delta())
    with pytest.raises(hebb.SceneError, match="unknown population `nope`"):
        bad.run(1.0)
    with pytest.raises(ValueError):
        hebb.FixedProbability(p=1.5)


def test_callbacks_run_at_the_right_times_and_steer_the_reward():
    net = hebb.Network(dt_ms=0.1, seed=2)
    net.population("pre", 5, hebb.models.Poisson(rate_hz=50.0))
    net.population("post", 2, hebb.models.Poisson(rate_hz=50.0))
    net.projection("p", "pre", "post", synapse=hebb.models.Delta(), plasticity=hebb.models.Mstdp())
    net.reward(hebb.models.RewardConstant(value=0.0))
    net.record_state("r", "p", ["reward"])
    seen = []

    def callback(n: hebb.Network) -> None:
        seen.append(n.t_ms)
        n.set_reward(n.t_ms)

    net.run(100.0, every_ms=10.0, callback=callback)
    assert seen == pytest.approx([10.0 * k for k in range(1, 11)], abs=1e-9)
    assert net.t_ms == pytest.approx(100.0)
    t, r = net.state("r")
    # The reward set after step k (t = k·dt) is the reward of step k, recorded at t, and holds
    # until the next call (the RewardConstant source set 0 once, at the start).
    k = np.round(t / 0.1).astype(int)
    expected = (k // 100) * 10.0
    np.testing.assert_allclose(r[:, 0], expected.astype(r.dtype), rtol=0, atol=1e-5)
    # Calls continue on the same grid across runs.
    seen.clear()
    net.run(25.0, every_ms=10.0, callback=callback)
    assert seen == pytest.approx([110.0, 120.0], abs=1e-9)


def test_set_reward_holds_until_set_again_or_a_scheduled_change():
    def network(source):
        net = hebb.Network(dt_ms=1.0, seed=2)
        net.population("pre", 3, hebb.models.Poisson(rate_hz=50.0))
        net.population("post", 2, hebb.models.Poisson(rate_hz=50.0))
        net.projection("p", "pre", "post", synapse=hebb.models.Delta(), plasticity=hebb.models.Mstdp())
        net.reward(source)
        net.record_state("r", "p", ["reward"])
        return net

    net = network(hebb.models.RewardConstant(value=0.25))
    net.run(3.0)
    net.set_reward(1.0)
    assert net.reward_value == 1.0
    net.run(5.0)
    assert net.reward_value == 1.0
    net.set_reward(-2.0)
    net.run(2.0)
    t, r = net.state("r")
    np.testing.assert_array_equal(t, np.arange(10.0))
    np.testing.assert_array_equal(r[:, 0], [0.25] * 3 + [1.0] * 5 + [-2.0] * 2)

    # A schedule's change replaces the value set by the user; the user's value holds until then.
    net = network(hebb.models.RewardSchedule(initial=0.0, changes=[{"at_ms": 6.0, "value": 3.0}]))
    net.run(2.0)
    net.set_reward(1.0)
    net.run(8.0)
    t, r = net.state("r")
    np.testing.assert_array_equal(r[:, 0], [0.0] * 2 + [1.0] * 4 + [3.0] * 4)


def test_callbacks_do_not_change_the_results():
    a = hebb.load(SCENES / "song2000_stdp.ron", seed=9)
    b = hebb.load(SCENES / "song2000_stdp.ron", seed=9)
    a.run(1000.0)
    calls = []
    b.run(1000.0, every_ms=10.0, callback=lambda n: calls.append(n.step))
    assert len(calls) == 100
    np.testing.assert_array_equal(a.spikes("neuron")[0], b.spikes("neuron")[0])
    np.testing.assert_array_equal(a.weights("input_to_neuron")[2], b.weights("input_to_neuron")[2])


def test_exceptions_in_callbacks_propagate_and_stop_the_run():
    net = small_network()

    def boom(n):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        net.run(50.0, every_ms=5.0, callback=boom)
    assert net.t_ms == pytest.approx(5.0)
    with pytest.raises(ValueError):
        net.run(10.0, every_ms=5.0)


def test_sigint_stops_a_long_run_cleanly():
    script = textwrap.dedent(
        f"""
        import sys, hebb
        net = hebb.load({str(SCENES / 'song2000_stdp.ron')!r})
        print("running", flush=True)
        try:
            net.run(1.0e7, progress=False)  # hours of simulated time: far longer than the test waits
            print("completed", flush=True)
        except KeyboardInterrupt:
            t, i = net.spikes("neuron")
            w = net.weights("input_to_neuron")[2]
            net.run(1.0)  # still usable
            print(f"interrupted at {{net.t_ms}} ms, {{len(t)}} spikes, {{len(w)}} weights", flush=True)
        """
    )
    proc = subprocess.Popen([PY, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=python_env())
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "running"
    time.sleep(1.0)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "interrupted at" in out, out + err
    assert time.monotonic() - start < 5.0
    t_ms = float(out.split("interrupted at ")[1].split(" ms")[0])
    assert 0.0 < t_ms < 1.0e7
