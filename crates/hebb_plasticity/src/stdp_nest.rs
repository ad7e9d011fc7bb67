//! # `StdpNest` — NEST's `stdp_synapse` and its nearest-neighbour variants
//!
//! Pair STDP with the weight dependence of Gütig et al. (2003), as NEST's `stdp_synapse`
//! (`pairing: AllToAll`), `stdp_nn_symm_synapse` (`NearestSymmetric`),
//! `stdp_nn_pre_centered_synapse` (`NearestPreCentered`) and `stdp_nn_restr_synapse`
//! (`NearestRestricted`). With `u = |w|/|w_max|`, the sign of `w_max` on every weight, a
//! presynaptic trace `x_pre` (τ₊) and a postsynaptic trace `x_post` (τ₋), read before the
//! step's own spikes:
//!
//! ```text
//! postsynaptic spike (potentiation, k = pre trace):
//!     |w| ← |w_max| · min(u + λ·(1 − u)^μ₊ · k, 1)
//! presynaptic arrival (depression, k = post trace):
//!     |w| ← |w_max| · max(u − α·λ·u^μ₋ · k, 0)
//! ```
//!
//! | pairing | pre trace `k` of a post spike | post trace of an arrival |
//! |---|---|---|
//! | `AllToAll` | Σ over earlier arrivals `e^{−Δt/τ₊}` | Σ over earlier post spikes `e^{−Δt/τ₋}` |
//! | `NearestSymmetric` | `e^{−Δt/τ₊}` of the latest arrival | `e^{−Δt/τ₋}` of the latest post spike |
//! | `NearestPreCentered` | the all-to-all sum of the arrivals since this synapse's last potentiation, only for the first post spike after an arrival | nearest |
//! | `NearestRestricted` | nearest, only for the first post spike after an arrival | nearest, only if a post spike came since the previous arrival |
//!
//! μ = 0 is additive (clipped to `[0, |w_max|]`), μ = 1 multiplicative. A pre and a post spike
//! in the same step do not pair (NEST: a zero-lag pair contributes nothing). NEST's
//! `NearestSymmetric` and `NearestRestricted` start with `t_lastspike = 0`, as if a pre spike
//! had occurred at t = 0; hebb does not invent that spike (the test adds it to align).
//! Per-synapse state: one `Real` (the pre-centred pairing's own trace, the restricted pairing's
//! "post spike since the last arrival" flag; unused otherwise).
//!
//! | name | unit | default | NEST | Brian2 | meaning |
//! |---|---|---|---|---|---|
//! | `tau_plus_ms` | ms | 20 | `tau_plus` | `taupre` | τ₊ of `x_pre` |
//! | `tau_minus_ms` | ms | 20 | neuron `tau_minus` | `taupost` | τ₋ of `x_post` |
//! | `lambda` | 1 | 0.01 | `lambda` | `Apre/gmax` | learning rate λ |
//! | `alpha` | 1 | 1 | `alpha` | `−Apost/Apre` | depression / potentiation ratio α |
//! | `mu_plus` | 1 | 1 | `mu_plus` | — | weight dependence of potentiation μ₊ |
//! | `mu_minus` | 1 | 1 | `mu_minus` | — | weight dependence of depression μ₋ |
//! | `w_max` | 1 | 100 | `Wmax` | `gmax` | limit of `\|w\|`, its sign is the weights' sign |
//! | `pairing` | — | `AllToAll` | the model name | — | spike pairing scheme (above) |
//!
//! Timing against NEST: as `TripletStdp` (see `crate::triplet`). References: R. Gütig,
//! R. Aharonov, S. Rotter & H. Sompolinsky (2003), J. Neurosci. 23(9):3697–3714; G.-q. Bi &
//! M.-m. Poo (1998); A. Morrison, M. Diesmann & W. Gerstner (2008), Biol. Cybern. 98:459–478
//! (nearest-neighbour schemes); NEST `models/stdp_synapse.h`, `stdp_nn_*_synapse.h`. See
//! `docs/plasticity/stdp_nest.md`.

use serde::{Deserialize, Serialize};

use crate::rule::prelude::*;

/// NEST's spike pairing schemes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Pairing {
    /// `stdp_synapse`: every pre spike with every post spike.
    #[default]
    AllToAll,
    /// `stdp_nn_symm_synapse`: each spike with the nearest spike of the other side.
    NearestSymmetric,
    /// `stdp_nn_pre_centered_synapse`: the first post spike after pre spikes takes their sum.
    NearestPreCentered,
    /// `stdp_nn_restr_synapse`: only pre-post-pre and post-pre-post nearest pairs.
    NearestRestricted,
}

crate::plasticity_rule! {
    /// NEST pair STDP params (scene name `StdpNest`).
    rule StdpNest("StdpNest", "pair STDP with NEST's weight dependence and pairing schemes (stdp_synapse, stdp_nn_*_synapse)") {
        /// Time constant of the presynaptic trace (potentiation window).
        pub tau_plus_ms: f64 = 20.0; "ms", positive;
        /// Time constant of the postsynaptic trace (depression window; NEST's neuron tau_minus).
        pub tau_minus_ms: f64 = 20.0; "ms", positive;
        /// Learning rate lambda (>= 0).
        pub lambda: f64 = 0.01; "1", non_negative;
        /// Depression to potentiation ratio alpha (>= 0).
        pub alpha: f64 = 1.0; "1", non_negative;
        /// Weight dependence exponent of potentiation (0 additive, 1 multiplicative).
        pub mu_plus: f64 = 1.0; "1", non_negative;
        /// Weight dependence exponent of depression (0 additive, 1 multiplicative).
        pub mu_minus: f64 = 1.0; "1", non_negative;
        /// Limit of |w| (not 0); its sign is the sign of every weight.
        pub w_max: f64 = 100.0; "1", finite;
        /// AllToAll | NearestSymmetric | NearestPreCentered | NearestRestricted.
        pub pairing: Pairing = Pairing::AllToAll; "-", any;
    }
}

impl StdpNest {
    /// λ·|w_max|: the potentiation of `k = 1` in weight units.
    #[inline]
    fn step_size(&self) -> Real {
        (self.lambda * self.w_max.abs()) as Real
    }
}

impl Rule for StdpNest {
    const TRACES: &'static [&'static str] = &["x_pre", "x_post"];
    type SynapseState = Real;

    fn traces(&self) -> Vec<Trace> {
        let (pre, post) = (Trace::pre(self.tau_plus_ms), Trace::post(self.tau_minus_ms));
        match self.pairing {
            Pairing::AllToAll => vec![pre, post],
            Pairing::NearestPreCentered => vec![pre, post.nearest()],
            Pairing::NearestSymmetric | Pairing::NearestRestricted => {
                vec![pre.nearest(), post.nearest()]
            }
        }
    }

    fn bounds(&self) -> (Bounds, UpdateOrder) {
        let bounds = Bounds::Nest {
            w_max: self.w_max,
            mu_plus: self.mu_plus,
            mu_minus: self.mu_minus,
        };
        (bounds, UpdateOrder::PotentiationFirst)
    }

    fn check(&self) -> Result<(), ParamError> {
        self.bounds()
            .0
            .validate("bounds")
            .map_err(|_| ParamError::new("w_max", "must not be 0"))
    }

    #[inline(always)]
    fn on_post(&self, syn: &mut Synapse<'_, Real>) {
        let k = match self.pairing {
            Pairing::AllToAll | Pairing::NearestSymmetric => syn.trace(0),
            Pairing::NearestPreCentered => {
                // This synapse's own sum of the arrivals since its last potentiation.
                let (k, last) = (*syn.state(), syn.last_pre());
                *syn.state() = 0.0;
                match last {
                    Some(p) if k != 0.0 => k * self.decay_since(p, syn),
                    _ => 0.0,
                }
            }
            Pairing::NearestRestricted => {
                // Only the first post spike since the last arrival pairs with it.
                let first = *syn.state() == 0.0 && syn.last_pre().is_some();
                *syn.state() = 1.0;
                if first { syn.trace(0) } else { 0.0 }
            }
        };
        if k != 0.0 {
            syn.potentiate(self.step_size() * k);
        }
    }

    #[inline(always)]
    fn on_pre(&self, syn: &mut Synapse<'_, Real>) {
        let depress = match self.pairing {
            Pairing::NearestRestricted => std::mem::replace(syn.state(), 0.0) != 0.0,
            _ => true,
        };
        if depress {
            syn.depress(self.alpha as Real * self.step_size() * syn.trace(1));
        }
        if self.pairing == Pairing::NearestPreCentered {
            let decay = syn.last_pre().map_or(0.0, |p| self.decay_since(p, syn));
            *syn.state() = *syn.state() * decay + 1.0;
        }
    }
}

impl StdpNest {
    /// `e^{−(now − step)·dt/τ₊}`.
    #[inline]
    fn decay_since(&self, step: u64, syn: &Synapse<'_, Real>) -> Real {
        (-((syn.step() - step) as f64) * syn.dt_ms() / self.tau_plus_ms).exp() as Real
    }
}
