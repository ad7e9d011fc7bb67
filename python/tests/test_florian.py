"""Inferno's Florian example (STDP, MSTDP, MSTDPET on one synapse each) from Python, against the
upstream run (tests/fixtures/plasticity/inferno_florian.json, inferno-ai 0.0.5, float32) at
every step, with the same tolerance as tests/plasticity_florian.rs: from the scene, and built in
code with the post spikes and the reward driven by a Python callback every step."""

from __future__ import annotations

import json

import numpy as np
import pytest

import hebb
from conftest import ROOT, SCENES

TOL = 1e-5  # the reference is float32 and every value is below 1
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "plasticity" / "inferno_florian.json").read_text())


def column(net: hebb.Network, recorder: str, name: str) -> np.ndarray:
    t, v = net.state(recorder)
    return v[:, net.state_columns(recorder).index(name)].astype(np.float64)


def check_against_reference(net: hebb.Network) -> None:
    arrays = FIXTURE["arrays"]
    t_pre, _ = net.spikes("pre")
    t_post, _ = net.spikes("post")
    np.testing.assert_array_equal(t_pre, np.array(FIXTURE["pre_steps"], dtype=float))
    np.testing.assert_array_equal(t_post, np.array(FIXTURE["post_steps"], dtype=float))
    checks = []
    for rule in ("stdp", "mstdp", "mstdpet"):
        checks.append((column(net, f"w_{rule}", "w[0,0]"), arrays[f"w_{rule}"], 0))
        for side in ("pre", "post"):
            checks.append((column(net, f"traces_{rule}", f"trace_{side}[0]"), arrays[f"{rule}_trace_{side}"], 0))
    for name, ref in (("elig_post[0]", "elig_post"), ("elig_pre[0]", "elig_pre"), ("eligibility[0]", "elig_trace")):
        checks.append((column(net, "eligibility", name), arrays[ref], 0))
    # Inferno's index 0 is the initial state (reward 0), not a step.
    checks.append((column(net, "reward", "reward[0]"), arrays["reward"], 1))
    for ours, ref, start in checks:
        assert len(ours) == 201
        np.testing.assert_allclose(ours[start:], np.array(ref, dtype=np.float64)[start:], rtol=0, atol=TOL)
    final = {rule: column(net, f"w_{rule}", "w[0,0]")[200] for rule in ("stdp", "mstdp", "mstdpet")}
    assert final["stdp"] == pytest.approx(0.26904, abs=1e-5)
    assert final["mstdp"] == pytest.approx(0.20330, abs=1e-5)
    assert final["mstdpet"] == pytest.approx(0.33420, abs=1e-5)


def test_florian_scene_matches_inferno():
    net = hebb.load(SCENES / "florian_stdp_mstdp_mstdpet.ron")
    net.run()
    check_against_reference(net)


def test_florian_closed_loop_from_python_matches_inferno():
    net = hebb.Network(dt_ms=1.0, seed=0, duration_ms=201.0)
    net.population("pre", 1, hebb.models.SpikeSource(times_ms=[[float(s) for s in FIXTURE["pre_steps"]]]))
    net.population("post", 1, hebb.models.Exact())
    rules = {
        "stdp": hebb.models.Stdp(lr_post=0.2, lr_pre=-0.2, tau_post_ms=20.0, tau_pre_ms=20.0),
        "mstdp": hebb.models.Mstdp(lr_post=0.2, lr_pre=-0.2),
        "mstdpet": hebb.models.Mstdpet(lr_post=0.2, lr_pre=-0.2, tau_eligibility_ms=25.0),
    }
    for name, rule in rules.items():
        net.projection(name, "pre", "post", connectivity=hebb.OneToOne(), weights=hebb.Constant(0.2),
                       synapse=hebb.models.Delta(), plasticity=rule)
        net.record_weights(f"w_{name}", name)
        net.record_state(f"traces_{name}", name, ["trace_pre", "trace_post"])
    # The source sets 0 at the start; the callback's set_reward (between steps) holds from the
    # next step on.
    net.reward(hebb.models.RewardConstant(value=0.0))
    net.record_state("eligibility", "mstdpet", ["elig_post", "elig_pre", "eligibility"])
    net.record_state("reward", "mstdp", ["reward"])
    net.record_spikes("pre")
    net.record_spikes("post")
    post_steps = set(FIXTURE["post_steps"])

    def before_step(n: hebb.Network) -> None:
        # Called with n.step = s, before step s runs: what the Rust test does before sim.step().
        s = n.step
        if s in post_steps:
            n.impose_spikes("post", [0])
        n.set_reward(1.0 if s <= 100 else -1.0)

    before_step(net)
    net.run(201.0, every_ms=1.0, callback=before_step)
    check_against_reference(net)
