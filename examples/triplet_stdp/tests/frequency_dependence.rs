//! The triplet rule's signature result (Pfister & Gerstner 2006, Fig. 5; data of Sjöström et
//! al. 2001): weight change per pairing against pairing frequency, 60 pairings with
//! Δt = ±10 ms, visual-cortex parameters of the minimal all-to-all model.
//!
//! Pre and post are imposed spike trains (`SpikeSource` populations, 1 → 1), so the weight
//! change is the rule's alone. Both are input populations: a spike of step k reaches the
//! projection (delay 0) and the plasticity stage at step k.
//!
//! The expectation is computed here independently of the simulator: the all-to-all rule written
//! as sums of exponentials over the spike lists, in f64,
//!
//! ```text
//! Δw = Σ_post A3+ · (Σ_{pre ≤ t} e^{−(t−t_pre)/τ₊}) · (Σ_{post' < t} e^{−(t−t_post')/τ_y})
//!    − Σ_pre  A2− ·  Σ_{post < t} e^{−(t−t_post)/τ₋}                (A2+ = A3− = 0)
//! ```
//!
//! With A2+ = 0, an isolated pre-post pair does not potentiate: at 1 Hz the pre-post protocol
//! leaves the weight unchanged (as in the data at low frequency), the post-pre protocol
//! depresses; at 40–50 Hz both potentiate.

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};
use triplet_stdp::{MinimalTriplet, TripletStdpPlugin};

const DT_MS: f64 = 0.1;
const PAIRINGS: usize = 60;
const W0: f64 = 0.5;

/// Spike times (ms) of the protocol: pairing k at k/ρ; post at pre + Δt (Δt may be negative,
/// then the post spike leads and everything is shifted by |Δt| so times stay ≥ 0).
fn protocol(rate_hz: f64, dt_ms: f64) -> (Vec<f64>, Vec<f64>) {
    let period = 1000.0 / rate_hz;
    let shift = (-dt_ms).max(0.0);
    let pre: Vec<f64> = (0..PAIRINGS).map(|k| k as f64 * period + shift).collect();
    let post = pre.iter().map(|t| t + dt_ms).collect();
    (pre, post)
}

/// The all-to-all triplet rule as explicit sums over spike pairs (see the module docs).
fn expected_change(p: &MinimalTriplet, pre: &[f64], post: &[f64]) -> f64 {
    let sum = |times: &[f64], t: f64, tau: f64, inclusive: bool| -> f64 {
        times
            .iter()
            .filter(|&&s| if inclusive { s <= t } else { s < t })
            .map(|&s| (-(t - s) / tau).exp())
            .sum()
    };
    let mut dw = 0.0;
    for &t in pre {
        let o1 = sum(post, t, p.tau_minus_ms, false);
        let r2 = sum(pre, t, p.tau_x_ms, false);
        dw -= o1 * (p.a2_minus + p.a3_minus * r2);
    }
    for &t in post {
        let r1 = sum(pre, t, p.tau_plus_ms, true);
        let o2 = sum(post, t, p.tau_y_ms, false);
        dw += r1 * (p.a2_plus + p.a3_plus * o2);
    }
    dw
}

/// Run the protocol through a scene and return the weight change.
fn simulated_change(registry: &hebb::core::registry::Registry, pre: &[f64], post: &[f64]) -> f64 {
    let list = |v: &[f64]| {
        v.iter()
            .map(|t| format!("{t:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let end = pre.last().unwrap().max(*post.last().unwrap()) + 1.0;
    let text = format!(
        "// pairing protocol\n(\n    version: 1,\n    dt_ms: {DT_MS},\n    duration_ms: {end:.1},\n    \
         populations: [\n        (name: \"pre\", size: 1, model: SpikeSource(times_ms: [[{}]])),\n        \
         (name: \"post\", size: 1, model: SpikeSource(times_ms: [[{}]])),\n    ],\n    \
         projections: [(name: \"syn\", from: \"pre\", to: \"post\", connectivity: OneToOne,\n        \
         weights: Constant({W0:?}), synapse: Delta, plasticity: MinimalTriplet)],\n)\n",
        list(pre),
        list(post)
    );
    let scene = Scene::parse(&text, "pairing.ron", registry).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = scene
        .build((TripletStdpPlugin, DefaultPlugins))
        .unwrap_or_else(|e| panic!("{e}"));
    sim.run_steps(scene.steps().unwrap());
    let syn = sim.index().projection("syn").unwrap();
    f64::from(sim.world.get::<Weights>(syn).unwrap().w[0]) - W0
}

#[test]
fn weight_change_per_pairing_against_frequency() {
    let params = MinimalTriplet::default();
    let registry = registry_of((TripletStdpPlugin, DefaultPlugins));
    let n = PAIRINGS as f64;
    let mut table = Vec::new();
    for rate in [1.0, 5.0, 10.0, 20.0, 40.0, 50.0] {
        for dt in [10.0, -10.0] {
            let (pre, post) = protocol(rate, dt);
            let expected = expected_change(&params, &pre, &post) / n;
            let got = simulated_change(&registry, &pre, &post) / n;
            // f32 weights and traces: 1e-3 relative, plus an absolute floor for the values
            // near zero (one f32 rounding of w per update is ~3e-8).
            assert!(
                (got - expected).abs() <= 1e-3 * expected.abs() + 2e-8,
                "{rate} Hz, Δt = {dt} ms: simulated {got:e} per pairing, expected {expected:e}"
            );
            table.push((rate, dt, got));
        }
    }
    let at = |rate: f64, dt: f64| table.iter().find(|e| e.0 == rate && e.1 == dt).unwrap().2;
    let a2_minus = params.a2_minus;
    // Post-pre (Δt = −10 ms): depression at low frequency, potentiation at high frequency.
    for rate in [1.0, 5.0, 10.0, 20.0] {
        assert!(at(rate, -10.0) < -0.5 * a2_minus, "{rate} Hz: {table:?}");
    }
    for rate in [40.0, 50.0] {
        assert!(at(rate, -10.0) > 0.0, "{rate} Hz: {table:?}");
    }
    // Pre-post (Δt = +10 ms): no change at 1 Hz (A2+ = 0: an isolated pair cannot potentiate,
    // and the previous post spike is 990 ms back), potentiation growing with frequency.
    assert!(at(1.0, 10.0).abs() < 1e-3 * a2_minus, "{table:?}");
    let rates = [5.0, 10.0, 20.0, 40.0, 50.0];
    for w in rates.windows(2) {
        assert!(
            at(w[0], 10.0) > 0.0 && at(w[1], 10.0) > at(w[0], 10.0),
            "{table:?}"
        );
    }
    // At every frequency, pre-post is above post-pre (the causal order potentiates more).
    for rate in [1.0, 5.0, 10.0, 20.0, 40.0, 50.0] {
        assert!(at(rate, 10.0) > at(rate, -10.0), "{rate} Hz: {table:?}");
    }
}
