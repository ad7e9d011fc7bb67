//! # `TripletStdp` — triplet STDP (Pfister & Gerstner 2006), NEST's `stdp_triplet_synapse`
//!
//! All-to-all triplet rule: two cumulative traces per presynaptic neuron (`r1` with τ₊, `r2`
//! with τ_x) and two per postsynaptic neuron (`o1` with τ₋, `o2` with τ_y), each `x ← x + 1` at
//! its neuron's spike and decaying as `dx/dt = −x/τ`. With every trace read *before* the spike
//! of its own step (`t − ε`):
//!
//! ```text
//! postsynaptic spike:  |w| ← min(|w| + r1 · (A2+ + A3+ · o2), |w_max|)
//! presynaptic arrival: |w| ← max(|w| − o1 · (A2− + A3− · r2), 0)
//! ```
//!
//! with the sign of `w_max` (the `Nest` bounds, potentiation then depression within a step).
//! A pre and a post spike in the same step do not pair (NEST: a zero-lag pair contributes
//! nothing). Other `bounds` may be given.
//!
//! ## Parameters
//! Defaults: NEST 3.10's `stdp_triplet_synapse` and its post neuron's defaults.
//!
//! | name | unit | default | NEST | Brian2 (Pfister example) | meaning |
//! |---|---|---|---|---|---|
//! | `tau_plus_ms` | ms | 16.8 | `tau_plus` | `tau_plus` | τ₊ of `r1` |
//! | `tau_x_ms` | ms | 101 | `tau_plus_triplet` | `tau_x` | τ_x of `r2` |
//! | `tau_minus_ms` | ms | 20 | neuron `tau_minus` | `tau_minus` | τ₋ of `o1` (paper: 33.7) |
//! | `tau_y_ms` | ms | 110 | neuron `tau_minus_triplet` | `tau_y` | τ_y of `o2` (paper: 125) |
//! | `a2_plus` | 1 | 5e-10 | `Aplus` | `A2p` | A2+ |
//! | `a3_plus` | 1 | 6.2e-3 | `Aplus_triplet` | `A3p` | A3+ |
//! | `a2_minus` | 1 | 7e-3 | `Aminus` | `A2m` | A2− |
//! | `a3_minus` | 1 | 2.3e-4 | `Aminus_triplet` | `A3m` | A3− |
//! | `bounds` | — | `Nest(w_max: 100)` | `Wmax` | — | weight bounds |
//!
//! **Timing against NEST.** NEST takes the whole delay `d` as dendritic: the synapse sees a
//! pre spike at `t_pre` and a post spike at `t_post + d`, and applies the changes lazily at
//! the next pre spike. hebb sees arrivals at `t_pre + delay` and post spikes at `t_post`, and
//! applies each change at its own step; the sequence of operations on a weight is the same, so
//! the weight right after each presynaptic arrival equals NEST's weight after that pre spike
//! when both see the same lags (`tests/plasticity_nest.rs` shows the alignment).
//!
//! Reference: J.-P. Pfister & W. Gerstner (2006), *Triplets of spikes in a model of spike
//! timing-dependent plasticity*, J. Neurosci. 26(38):9673–9682; NEST
//! `models/stdp_triplet_synapse.h`. See `docs/plasticity/triplet.md`.

use crate::rule::prelude::*;

crate::plasticity_rule! {
    /// Triplet STDP params (scene name `TripletStdp`).
    rule TripletStdp("TripletStdp", "triplet STDP, all-to-all (Pfister & Gerstner 2006; NEST stdp_triplet_synapse)") {
        /// Time constant τ₊ of the presynaptic trace r1 (pair potentiation).
        pub tau_plus_ms: f64 = 16.8; "ms", positive;
        /// Time constant τ_x of the presynaptic trace r2 (triplet depression).
        pub tau_x_ms: f64 = 101.0; "ms", positive;
        /// Time constant τ₋ of the postsynaptic trace o1 (pair depression).
        pub tau_minus_ms: f64 = 20.0; "ms", positive;
        /// Time constant τ_y of the postsynaptic trace o2 (triplet potentiation).
        pub tau_y_ms: f64 = 110.0; "ms", positive;
        /// Pair potentiation amplitude A2+ (>= 0).
        pub a2_plus: f64 = 5e-10; "1", non_negative;
        /// Triplet potentiation amplitude A3+ (>= 0).
        pub a3_plus: f64 = 6.2e-3; "1", non_negative;
        /// Pair depression amplitude A2- (>= 0).
        pub a2_minus: f64 = 7e-3; "1", non_negative;
        /// Triplet depression amplitude A3- (>= 0).
        pub a3_minus: f64 = 2.3e-4; "1", non_negative;
        /// Weight bounds (NEST: Nest(w_max: Wmax)).
        pub bounds: Bounds = Bounds::Nest { w_max: 100.0, mu_plus: 0.0, mu_minus: 0.0 }; "-", bounds;
    }
}

impl TripletStdp {
    /// Trace indices in [`Rule::TRACES`].
    const R1: usize = 0;
    const R2: usize = 1;
    const O1: usize = 2;
    const O2: usize = 3;
}

impl Rule for TripletStdp {
    const TRACES: &'static [&'static str] = &["r1", "r2", "o1", "o2"];
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
        (self.bounds, UpdateOrder::PotentiationFirst)
    }

    #[inline(always)]
    fn on_pre(&self, syn: &mut Synapse<'_, ()>) {
        let factor = self.a2_minus as Real + self.a3_minus as Real * syn.trace(Self::R2);
        syn.depress(syn.trace(Self::O1) * factor);
    }

    #[inline(always)]
    fn on_post(&self, syn: &mut Synapse<'_, ()>) {
        let factor = self.a2_plus as Real + self.a3_plus as Real * syn.trace(Self::O2);
        syn.potentiate(syn.trace(Self::R1) * factor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One synapse from w = 1; `pre`/`post` spike steps (dt 0.1 ms). Weight after each step.
    fn run(rule: &TripletStdp, pre: &[u64], post: &[u64], steps: u64) -> Vec<Real> {
        let conn = Connectivity::Dense {
            n_pre: 1,
            n_post: 1,
        };
        let mut state = RuleState::new(rule, 1, 1, 1, 0.1);
        let mut update = WeightUpdate::new(1);
        let (bounds, order) = rule.bounds();
        let bounding = WeightBounding::new(bounds, order);
        let mut w = vec![1.0];
        (0..steps)
            .map(|s| {
                let a: &[u32] = if pre.contains(&s) { &[0] } else { &[] };
                let p: &[u32] = if post.contains(&s) { &[0] } else { &[] };
                let mut changes = WeightChanges {
                    w: &mut w,
                    update: &mut update,
                    bounding: &bounding,
                };
                rule_kernel(rule, &conn, &mut state, s, a, p, &mut changes);
                w[0]
            })
            .collect()
    }

    #[test]
    fn pair_and_triplet_terms() {
        let rule = TripletStdp {
            a2_plus: 0.01,
            a3_plus: 0.0,
            a2_minus: 0.02,
            a3_minus: 0.0,
            ..TripletStdp::default()
        };
        // Pre at 10 ms, post at 20 ms: +A2+·e^{−10/τ₊}.
        let w = run(&rule, &[100], &[200], 300);
        let expected = 1.0 + 0.01 * (-10.0f64 / 16.8).exp();
        assert!((f64::from(w[299]) - expected).abs() < 1e-6, "{}", w[299]);
        // Post first: −A2−·e^{−10/τ₋} at the arrival.
        let w = run(&rule, &[200], &[100], 300);
        let expected = 1.0 - 0.02 * (-10.0f64 / 20.0).exp();
        assert!((f64::from(w[200]) - expected).abs() < 1e-6, "{}", w[200]);
        // Same step: no pairing at all.
        let w = run(&rule, &[100], &[100], 200);
        assert_eq!(w[199], 1.0);
        // A3+ only: post-pre-post potentiates at the second post by A3+·r1·o2(t−ε).
        let rule = TripletStdp {
            a2_plus: 0.0,
            a3_plus: 0.01,
            a2_minus: 0.0,
            a3_minus: 0.0,
            ..TripletStdp::default()
        };
        let w = run(&rule, &[150], &[100, 200], 300);
        let expected = 1.0 + 0.01 * (-5.0f64 / 16.8).exp() * (-10.0f64 / 110.0).exp();
        assert!((f64::from(w[299]) - expected).abs() < 1e-6, "{}", w[299]);
    }

    #[test]
    fn validation_names_the_field_and_value() {
        let e = Model::validate(&TripletStdp {
            tau_y_ms: -3.0,
            ..TripletStdp::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tau_y_ms must be > 0, got -3");
        let e = Model::validate(&TripletStdp {
            a3_plus: -0.1,
            ..TripletStdp::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "a3_plus must be >= 0, got -0.1");
        assert!(Model::validate(&TripletStdp::default()).is_ok());
        assert_eq!(TripletStdp::PARAMS.len(), 9);
        assert_eq!(TripletStdp::PARAMS[0].name, "tau_plus_ms");
    }
}
