//! Pair-based spike-timing terms shared by `Stdp`, `Mstdp` and `Mstdpet` (Inferno's timing).
//!
//! A plastic projection keeps one presynaptic trace per presynaptic neuron and one postsynaptic
//! trace per postsynaptic neuron ([`PairTraces`]): O(neurons) state, not O(synapses) (GeNN's
//! `pre_vars` / `post_vars`). In the `Plasticity` stage of step `s`:
//!
//! 1. the presynaptic trace takes the spikes that *arrive* at the synapses at step `s`
//!    (`Arrivals.pre`, i.e. after the projection's delay), the postsynaptic trace the post
//!    population's spikes of step `s`;
//! 2. for each synapse `(i, j)` of each spiking postsynaptic neuron `j`:
//!    `dpost = x_pre_i(s)`; for each synapse of each arriving presynaptic neuron `i`:
//!    `dpre = x_post_j(s)`.
//!
//! Both traces already include the spikes of step `s`, so a pre and a post spike in the same
//! step give both terms at full amplitude (Inferno's forward hooks run after the layer step).

use bevy_ecs::component::Component;
use hebb_core::Real;
use hebb_core::connectivity::Connectivity;
use hebb_core::record::{RecordedEvery, StateVariables};
use serde::{Deserialize, Serialize};

use crate::trace::{SpikeTrace, TraceMode};

/// The presynaptic and postsynaptic spike traces of a plastic projection. Recordable as
/// `trace_pre` (one value per presynaptic neuron) and `trace_post` (per postsynaptic neuron).
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairTraces {
    /// Trace of the presynaptic spikes as they arrive at the synapses.
    pub pre: SpikeTrace,
    /// Trace of the postsynaptic spikes.
    pub post: SpikeTrace,
}

impl PairTraces {
    /// Traces for a projection of `n_pre × n_post`.
    #[expect(
        clippy::too_many_arguments,
        reason = "two traces, each fully specified"
    )]
    pub fn new(
        n_pre: usize,
        n_post: usize,
        dt_ms: f64,
        tau_pre_ms: f64,
        amplitude_pre: Real,
        tau_post_ms: f64,
        amplitude_post: Real,
        mode: TraceMode,
    ) -> Self {
        Self {
            pre: SpikeTrace::new(n_pre, tau_pre_ms, dt_ms, amplitude_pre, mode),
            post: SpikeTrace::new(n_post, tau_post_ms, dt_ms, amplitude_post, mode),
        }
    }

    /// Position both traces at `step`.
    #[inline]
    pub fn seek(&mut self, step: u64) {
        self.pre.seek(step);
        self.post.seek(step);
    }

    /// Fill the recorder views with the values at `step`.
    pub fn refresh_views_at(&mut self, step: u64) {
        self.pre.refresh_view_at(step);
        self.post.refresh_view_at(step);
    }
}

impl StateVariables for PairTraces {
    const VARIABLES: &'static [&'static str] = &["trace_pre", "trace_post"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        match name {
            "trace_pre" => Some(self.pre.view()),
            "trace_post" => Some(self.post.view()),
            _ => None,
        }
    }
}

/// Which side of a pairing a term comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A postsynaptic spike read the presynaptic trace (`dpost`, causal pairings).
    Post,
    /// An arriving presynaptic spike read the postsynaptic trace (`dpre`, anti-causal).
    Pre,
}

/// Inferno's pairing for step `step`: update both traces with this step's `arrivals` and
/// `post_spikes`, then call `term(side, synapse, value)` for every `dpost` and `dpre` term
/// (post terms first).
#[inline]
pub fn pair_step(
    connectivity: &Connectivity,
    traces: &mut PairTraces,
    step: u64,
    arrivals: &[u32],
    post_spikes: &[u32],
    mut term: impl FnMut(Side, usize, Real),
) {
    traces.seek(step);
    traces.pre.spike_all(arrivals);
    traces.post.spike_all(post_spikes);
    let pre = &traces.pre;
    for &j in post_spikes {
        connectivity.for_each_incoming(j as usize, |s, i| term(Side::Post, s, pre.value(i)));
    }
    let post = &traces.post;
    for &i in arrivals {
        connectivity.for_each_outgoing(i as usize, |s, j| term(Side::Pre, s, post.value(j)));
    }
}

/// The terms of [`pair_step`] whose synapse's postsynaptic neuron lies in `block` (one
/// partition's), in the same order, with the traces already at the step and jumped (the first
/// half of `pair_step`, done once for all partitions): post terms for the columns of the
/// block's spiking neurons, then pre terms for the block's part of every arriving row.
#[inline]
pub fn pair_terms_in(
    connectivity: &Connectivity,
    traces: &PairTraces,
    arrivals: &[u32],
    post_spikes: &[u32],
    block: &std::ops::Range<usize>,
    mut term: impl FnMut(Side, usize, Real),
) {
    let pre = &traces.pre;
    for &j in post_spikes {
        if block.contains(&(j as usize)) {
            connectivity.for_each_incoming(j as usize, |s, i| term(Side::Post, s, pre.value(i)));
        }
    }
    let post = &traces.post;
    for &i in arrivals {
        connectivity.for_each_outgoing_in(i as usize, block, |s, j| {
            term(Side::Pre, s, post.value(j));
        });
    }
}

/// Whether a state recorder samples the projection whose [`RecordedEvery`] this is after
/// `step` (rules then fill their recorder views: trace values are stored scaled, see
/// [`crate::trace`]).
#[inline]
pub fn recorded_at(recorded: Option<&RecordedEvery>, step: u64) -> bool {
    recorded.is_some_and(|r| r.at(step))
}

/// `+1` for `x ≥ 0` (zero counts as positive, as Inferno's `lr >= 0` tests), `−1` otherwise.
#[inline]
pub fn sign(x: f64) -> Real {
    if x >= 0.0 { 1.0 } else { -1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_see_traces_that_include_this_step() {
        // 2 pre × 2 post, dense. Pre 0 spikes at step 0; post 1 at step 2; both 0 and post 0
        // at step 3.
        let conn = Connectivity::Dense {
            n_pre: 2,
            n_post: 2,
        };
        let mut t = PairTraces::new(2, 2, 1.0, 10.0, 0.5, 20.0, 0.25, TraceMode::Cumulative);
        let a_pre = (-0.1f64).exp() as Real;
        let a_post = (-0.05f64).exp() as Real;
        let schedule: [(&[u32], &[u32]); 4] = [(&[0], &[]), (&[], &[]), (&[], &[1]), (&[0], &[0])];
        let mut seen = Vec::new();
        for (step, (arr, post)) in schedule.iter().enumerate() {
            pair_step(&conn, &mut t, step as u64, arr, post, |side, s, v| {
                seen.push((step, side, s, v));
            });
        }
        // Step 0: pre 0 arrives; its outgoing synapses (0,0)=0, (0,1)=1 read zero post traces.
        assert_eq!(seen[0], (0, Side::Pre, 0, 0.0));
        assert_eq!(seen[1], (0, Side::Pre, 1, 0.0));
        // Step 2: post 1 reads pre traces: synapse (0,1)=1 gets 0.5·α², synapse (1,1)=3 gets 0.
        assert_eq!((seen[2].0, seen[2].1, seen[2].2), (2, Side::Post, 1));
        assert!((seen[2].3 - 0.5 * a_pre * a_pre).abs() < 1e-7);
        assert_eq!((seen[3].2, seen[3].3), (3, 0.0));
        // Step 3: post 0 reads pre 0's trace including this step's spike: 0.5·α³ + 0.5.
        let (_, side, s, v) = seen[4];
        assert_eq!((side, s), (Side::Post, 0));
        assert!((v - (0.5 * a_pre.powi(3) + 0.5)).abs() < 1e-6);
        // …and pre 0's arrival reads post 0 including its spike now (0.25) and post 1 (0.25·α).
        let rest: Vec<_> = seen[6..].iter().map(|x| (x.1, x.2, x.3)).collect();
        assert_eq!(rest.len(), 2);
        assert_eq!((rest[0].0, rest[0].1), (Side::Pre, 0));
        assert!((rest[0].2 - 0.25).abs() < 1e-7);
        assert!((rest[1].2 - 0.25 * a_post).abs() < 1e-7);
    }

    #[test]
    fn sign_of_zero_is_positive() {
        assert_eq!(sign(0.0), 1.0);
        assert_eq!(sign(-0.2), -1.0);
        assert_eq!(sign(3.0), 1.0);
    }
}
