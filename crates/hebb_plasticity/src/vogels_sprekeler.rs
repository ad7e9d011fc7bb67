//! # `VogelsSprekeler` — inhibitory STDP (Vogels et al. 2011), NEST's `vogels_sprekeler_synapse`
//!
//! One cumulative trace per neuron, both with τ: `x_pre` (presynaptic arrivals), `x_post`.
//! Every pairing potentiates by `η·e^{−|Δt|/τ}` in either order, and every presynaptic spike
//! depresses by `α·η`, which sets the postsynaptic target rate `ρ₀ = α/(2τ)`:
//!
//! ```text
//! postsynaptic spike:  |w| ← min(|w| + η·x_pre, |w_max|)
//! presynaptic arrival: |w| ← min(|w| + η·x_post, |w_max|);  |w| ← max(|w| − α·η, 0)
//! ```
//!
//! with the sign of `w_max`, traces read before the step's own spikes (NEST's order).
//!
//! | name | unit | default | NEST | Brian2 | meaning |
//! |---|---|---|---|---|---|
//! | `tau_ms` | ms | 20 | `tau` (= neuron `tau_minus`) | `tau_stdp` | τ of both traces |
//! | `eta` | 1 | 0.001 | `eta` | `eta` | learning rate η |
//! | `alpha` | 1 | 0.12 | `alpha` | `alpha` | depression per pre spike, in units of η |
//! | `w_max` | 1 | 1 | `Wmax` | `gmax` | limit of `\|w\|`; its sign is the weights' sign |
//!
//! Reference: T. P. Vogels, H. Sprekeler, F. Zenke, C. Clopath & W. Gerstner (2011),
//! *Inhibitory plasticity balances excitation and inhibition in sensory pathways and memory
//! networks*, Science 334:1569–1573; NEST `models/vogels_sprekeler_synapse.h`. See
//! `docs/plasticity/vogels_sprekeler.md`.

use crate::rule::prelude::*;

crate::plasticity_rule! {
    /// Vogels–Sprekeler inhibitory STDP params (scene name `VogelsSprekeler`).
    rule VogelsSprekeler("VogelsSprekeler", "inhibitory STDP (Vogels et al. 2011; NEST vogels_sprekeler_synapse)") {
        /// Time constant of both traces.
        pub tau_ms: f64 = 20.0; "ms", positive;
        /// Learning rate eta (>= 0).
        pub eta: f64 = 0.001; "1", non_negative;
        /// Depression per presynaptic spike, in units of eta (>= 0).
        pub alpha: f64 = 0.12; "1", non_negative;
        /// Limit of |w| (not 0); its sign is the sign of every weight.
        pub w_max: f64 = 1.0; "1", finite;
    }
}

impl Rule for VogelsSprekeler {
    const TRACES: &'static [&'static str] = &["x_pre", "x_post"];
    type SynapseState = ();

    fn traces(&self) -> Vec<Trace> {
        vec![Trace::pre(self.tau_ms), Trace::post(self.tau_ms)]
    }

    fn bounds(&self) -> (Bounds, UpdateOrder) {
        let bounds = Bounds::Nest {
            w_max: self.w_max,
            mu_plus: 0.0,
            mu_minus: 0.0,
        };
        (bounds, UpdateOrder::PotentiationFirst)
    }

    fn check(&self) -> Result<(), ParamError> {
        self.bounds()
            .0
            .validate("w_max")
            .map_err(|_| ParamError::new("w_max", "must not be 0"))
    }

    fn on_pre(&self, syn: &mut Synapse<'_, ()>) {
        syn.potentiate(self.eta as Real * syn.trace(1));
        syn.depress((self.alpha * self.eta) as Real);
    }

    fn on_post(&self, syn: &mut Synapse<'_, ()>) {
        syn.potentiate(self.eta as Real * syn.trace(0));
    }
}
