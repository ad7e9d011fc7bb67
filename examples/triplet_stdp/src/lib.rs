//! # `MinimalTriplet` — the minimal triplet STDP rule as an out-of-tree hebb plugin
//!
//! The minimal all-to-all triplet model of Pfister & Gerstner (2006), written with hebb's rule
//! API (`use hebb::plugin::prelude::*`) and depending only on hebb's public crates. hebb has a
//! built-in `TripletStdp` matching NEST's `stdp_triplet_synapse`; this plugin is the same family
//! with Brian2's event order and the paper's visual-cortex minimal parameters, registered under
//! its own name so scenes use it as `plasticity: MinimalTriplet(…)`.
//!
//! ```text
//! traces: r1 (τ₊), r2 (τ_x) per presynaptic neuron, o1 (τ₋), o2 (τ_y) per postsynaptic neuron,
//!         each +1 at its neuron's spike, decaying as dx/dt = −x/τ
//! presynaptic arrival:  w ← w − o1 · (A2− + A3− · r2)       then r1, r2 jump
//! postsynaptic spike:   w ← w + r1 · (A2+ + A3+ · o2)       (o2 before its own jump)
//! ```
//!
//! Same step (Brian2's `on_pre` before `on_post`): the arrival's depression reads `o1` without
//! the post spike, the post spike's potentiation reads `r1` with the arrival (Δt = 0⁺, causal).
//!
//! | name | unit | default | meaning |
//! |---|---|---|---|
//! | `tau_plus_ms` | ms | 16.8 | τ₊ of `r1` |
//! | `tau_minus_ms` | ms | 33.7 | τ₋ of `o1` |
//! | `tau_x_ms` | ms | 101 | τ_x of `r2` (unused when A3− = 0) |
//! | `tau_y_ms` | ms | 114 | τ_y of `o2` |
//! | `a2_plus`, `a3_plus`, `a2_minus`, `a3_minus` | 1 | 0, 6.5e-3, 7.1e-3, 0 | amplitudes (≥ 0) |
//! | `bounds` | — | `Unbounded` | weight bounds |
//!
//! Reference: J.-P. Pfister & W. Gerstner (2006), J. Neurosci. 26(38):9673–9682, Table 4
//! (visual cortex, minimal all-to-all). See `docs/writing-a-plugin.md`.

use hebb::plugin::prelude::*;

plasticity_rule! {
    /// Minimal triplet STDP params (scene name `MinimalTriplet`).
    rule MinimalTriplet("MinimalTriplet", "minimal all-to-all triplet STDP (Pfister & Gerstner 2006), an out-of-tree plugin") {
        /// Time constant of the presynaptic trace r1 (pair potentiation).
        pub tau_plus_ms: f64 = 16.8; "ms", positive;
        /// Time constant of the postsynaptic trace o1 (pair depression).
        pub tau_minus_ms: f64 = 33.7; "ms", positive;
        /// Time constant of the presynaptic trace r2 (triplet depression).
        pub tau_x_ms: f64 = 101.0; "ms", positive;
        /// Time constant of the postsynaptic trace o2 (triplet potentiation).
        pub tau_y_ms: f64 = 114.0; "ms", positive;
        /// Pair potentiation amplitude A2+ (>= 0).
        pub a2_plus: f64 = 0.0; "1", non_negative;
        /// Triplet potentiation amplitude A3+ (>= 0).
        pub a3_plus: f64 = 6.5e-3; "1", non_negative;
        /// Pair depression amplitude A2- (>= 0).
        pub a2_minus: f64 = 7.1e-3; "1", non_negative;
        /// Triplet depression amplitude A3- (>= 0).
        pub a3_minus: f64 = 0.0; "1", non_negative;
        /// Weight bounds.
        pub bounds: Bounds = Bounds::Unbounded; "-", bounds;
    }
}

impl Rule for MinimalTriplet {
    const TRACES: &'static [&'static str] = &["r1", "r2", "o1", "o2"];
    const SAME_STEP: SameStep = SameStep::PreFirst;
    type SynapseState = ();

    fn traces(&self) -> Vec<Trace> {
        vec![
            Trace::pre(self.tau_plus_ms),
            Trace::pre(self.tau_x_ms),
            Trace::post(self.tau_minus_ms),
            Trace::post(self.tau_y_ms),
        ]
    }

    fn bounds(&self) -> (Bounds, UpdateOrder) {
        (self.bounds, UpdateOrder::Combined)
    }

    fn on_pre(&self, syn: &mut Synapse<'_, ()>) {
        let factor = self.a2_minus as Real + self.a3_minus as Real * syn.trace(1);
        syn.depress(syn.trace(2) * factor);
    }

    fn on_post(&self, syn: &mut Synapse<'_, ()>) {
        let factor = self.a2_plus as Real + self.a3_plus as Real * syn.trace(3);
        syn.potentiate(syn.trace(0) * factor);
    }
}

/// The traces of a `MinimalTriplet` projection (recordable as `r1`, `r2`, `o1`, `o2`).
pub type TripletTraces = RuleState<MinimalTriplet>;

/// The plugin: registers `MinimalTriplet` (name, params, traces, snapshot state, system).
/// Add it before or after `DefaultPlugins`.
pub struct TripletStdpPlugin;

impl Plugin for TripletStdpPlugin {
    fn build(&self, sim: &mut Simulation) {
        sim.add_plugins(RulePlugin::<MinimalTriplet>::new());
    }
}
