//! Projections: one entity per group of synapses between two populations.
//!
//! Every projection has a [`Projection`], a [`crate::connectivity::Connectivity`], [`Weights`],
//! a [`DelayLine`] and [`Arrivals`]. Its synapse output model (Delta, Exponential, Conductance,
//! …), an optional short-term plasticity model and an optional long-term rule add their own
//! components.
//!
//! ## Delays and arrival timing
//! Each projection has one delay of `d` whole steps. Spikes are pushed into a ring buffer of
//! `d + 1` slots by the core right after [`crate::stage::Stage::InputSpikes`]:
//! - an **input** population (Poisson, spike source, exact) emits in `InputSpikes`, so its spike
//!   of step `k` arrives at step `k + d` and acts on the target in that same step (zero-delay
//!   wiring as ngc-learn's);
//! - a **neuron** population emits in `NeuronStep`, after that step's current integration, so
//!   its spike of step `k` arrives at step `k + 1 + d` (as in Brian2 and NEST: a spike acts on
//!   the membrane from the next step on; the delay adds to that).
//!
//! A projection may instead give each synapse its own delay ([`crate::delays`]): then its
//! [`Arrivals`] list synapses ([`Arrivals::synapses`]) rather than presynaptic neurons, and the
//! timing above holds per synapse (a neuron's spike at step `k` reaches synapse `s` at
//! `k + 1 + d_s`).

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::system::Query;

use crate::Real;
use crate::connectivity::{Connectivity, Csr};
use crate::delays::{SynapseDelays, SynapseQueue};
use crate::parallel::{FindRowPart, RowLocator, RowParts};
use crate::population::Spikes;

/// Identity and endpoints of a projection.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Projection {
    /// Unique name within the network.
    pub name: String,
    /// Presynaptic population entity.
    pub pre: Entity,
    /// Postsynaptic population entity.
    pub post: Entity,
    /// Presynaptic population name.
    pub pre_name: String,
    /// Postsynaptic population name.
    pub post_name: String,
    /// Delay in whole steps.
    pub delay_steps: u32,
}

/// One weight per synapse, in synapse order (see [`crate::connectivity`]).
#[derive(Component, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights {
    /// The stored (long-term) weights.
    pub w: Vec<Real>,
}

/// What arrives at the synapses this step (after the delay): presynaptic neurons (every
/// synapse of each receives the spike), or, for a projection with per-synapse delays
/// ([`crate::delays`]), single synapses. Recomputed at the start of every step.
#[derive(Component, Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Arrivals {
    /// Presynaptic indices, ascending (empty for a projection with per-synapse delays).
    pub pre: Vec<u32>,
    /// Synapse indices, for a projection with per-synapse delays only, in canonical order (by
    /// emission step, then presynaptic neuron, then postsynaptic neuron). Not in snapshots:
    /// the queue they come from is ([`crate::delays::SynapseQueue`]).
    #[serde(skip)]
    pub synapses: Vec<u32>,
}

impl Arrivals {
    /// These presynaptic neurons arrive (ascending).
    pub fn of_pre(pre: Vec<u32>) -> Self {
        Self {
            pre,
            synapses: Vec::new(),
        }
    }

    /// Nothing arrives this step.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pre.is_empty() && self.synapses.is_empty()
    }
}

/// A ring buffer of presynaptic spike lists, `delay_steps + 1` slots.
#[derive(Component, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DelayLine {
    slots: Vec<Vec<u32>>,
}

impl DelayLine {
    /// A ring for `delay_steps`.
    pub fn new(delay_steps: u32) -> Self {
        Self {
            slots: vec![Vec::new(); delay_steps as usize + 1],
        }
    }

    /// The delay in steps.
    pub fn delay_steps(&self) -> usize {
        self.slots.len() - 1
    }

    /// Push the spikes read at `step` and move the spikes due at `step` into `arrivals`.
    /// No allocation once the slots have grown to their working size.
    #[inline]
    pub fn advance(&mut self, step: u64, spikes: &[u32], arrivals: &mut Vec<u32>) {
        let n = self.slots.len() as u64;
        arrivals.clear();
        if n == 1 && self.slots[0].is_empty() {
            arrivals.extend_from_slice(spikes);
            return;
        }
        let write = ((step + n - 1) % n) as usize;
        self.slots[write].extend_from_slice(spikes);
        let read = (step % n) as usize;
        std::mem::swap(arrivals, &mut self.slots[read]);
        // `arrivals` now holds the due spikes; the slot keeps the old arrivals buffer (cleared).
        self.slots[read].clear();
    }

    /// The slots' contents (for snapshots).
    pub fn slots(&self) -> &[Vec<u32>] {
        &self.slots
    }

    /// Schedule presynaptic neuron `pre` to arrive at step `arrival_step`, which must lie in the
    /// next `d + 1` steps (the steps not yet read). A distributed run inserts the spikes it
    /// receives from other ranks this way; neurons inserted for one step must come in ascending
    /// order (the order [`DelayLine::advance`] hands them on).
    #[inline]
    pub fn insert_arriving(&mut self, arrival_step: u64, pre: u32) {
        let n = self.slots.len() as u64;
        self.slots[(arrival_step % n) as usize].push(pre);
    }
}

/// What fraction of the stored weight each arriving spike transmits this step, set by
/// short-term plasticity in [`crate::stage::Stage::SynapticStp`]. Without this component a projection
/// transmits its weights unscaled.
#[derive(Component, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TransmissionScale {
    /// One factor per presynaptic neuron.
    PerPre(Vec<Real>),
    /// One factor per synapse.
    PerSynapse(Vec<Real>),
}

/// Deliver this step's arrivals: call `add(post, weight × scale)` for every synapse of every
/// arriving presynaptic neuron, then for every arriving synapse (per-synapse delays). This is
/// the event-driven inner loop of every synapse output.
#[inline]
pub fn for_each_transmission(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &Arrivals,
    scale: Option<&TransmissionScale>,
    mut add: impl FnMut(usize, Real),
) {
    for_each_pre_transmission(connectivity, weights, &arrivals.pre, scale, &mut add);
    if !arrivals.synapses.is_empty() {
        for_each_synapse_transmission(connectivity, weights, &arrivals.synapses, scale, add);
    }
}

/// [`for_each_transmission`] for arriving synapses: `add(post(s), w[s] × scale)` in list order.
#[inline]
pub fn for_each_synapse_transmission(
    connectivity: &Connectivity,
    weights: &[Real],
    synapses: &[u32],
    scale: Option<&TransmissionScale>,
    mut add: impl FnMut(usize, Real),
) {
    let post = |s: usize| match connectivity {
        Connectivity::Dense { n_post, .. } => s % n_post,
        Connectivity::Sparse(csr) => csr.post_of()[s] as usize,
    };
    match scale {
        None => {
            for &s in synapses {
                let s = s as usize;
                add(post(s), weights[s]);
            }
        }
        Some(TransmissionScale::PerSynapse(f)) => {
            for &s in synapses {
                let s = s as usize;
                add(post(s), weights[s] * f[s]);
            }
        }
        Some(TransmissionScale::PerPre(f)) => {
            for &s in synapses {
                let s = s as usize;
                add(post(s), weights[s] * f[connectivity.pre_of_synapse(s)]);
            }
        }
    }
}

/// [`for_each_transmission`] for arriving presynaptic neurons.
#[inline]
pub fn for_each_pre_transmission(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &[u32],
    scale: Option<&TransmissionScale>,
    mut add: impl FnMut(usize, Real),
) {
    match scale {
        None => {
            for &i in arrivals {
                connectivity.for_each_outgoing(i as usize, |s, j| add(j, weights[s]));
            }
        }
        Some(TransmissionScale::PerPre(f)) => {
            for &i in arrivals {
                let f = f[i as usize];
                connectivity.for_each_outgoing(i as usize, |s, j| add(j, weights[s] * f));
            }
        }
        Some(TransmissionScale::PerSynapse(f)) => {
            for &i in arrivals {
                connectivity.for_each_outgoing(i as usize, |s, j| add(j, weights[s] * f[s]));
            }
        }
    }
}

/// [`for_each_pre_transmission`] restricted to the postsynaptic neurons in `block` (one
/// partition's): `add(post, weight × scale)` for those synapses only, computed with the same
/// operations in the same order, so splitting the postsynaptic neurons into blocks gives the
/// same bits as the whole delivery.
#[inline]
pub fn for_each_transmission_in(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &[u32],
    scale: Option<&TransmissionScale>,
    block: &std::ops::Range<usize>,
    mut add: impl FnMut(usize, Real),
) {
    if block.start == 0 && block.end >= connectivity.n_post() {
        for_each_pre_transmission(connectivity, weights, arrivals, scale, add);
        return;
    }
    if let Connectivity::Sparse(csr) = connectivity {
        // The block's part of each row: one load from the row splits kept for this partition
        // layout, or a search near its expected position.
        let rows = (csr, weights, arrivals);
        match csr.row_parts(block) {
            Some(RowParts::Narrow(parts)) => transmit_parts(rows, &parts, scale, add),
            Some(RowParts::Wide(parts)) => transmit_parts(rows, &parts, scale, add),
            None => {
                let locator = RowLocator::new(block.clone(), connectivity.n_post());
                transmit_parts(rows, &locator, scale, add);
            }
        }
        return;
    }
    match scale {
        None => {
            for &i in arrivals {
                connectivity.for_each_outgoing_in(i as usize, block, |s, j| add(j, weights[s]));
            }
        }
        Some(TransmissionScale::PerPre(f)) => {
            for &i in arrivals {
                let f = f[i as usize];
                connectivity.for_each_outgoing_in(i as usize, block, |s, j| add(j, weights[s] * f));
            }
        }
        Some(TransmissionScale::PerSynapse(f)) => {
            for &i in arrivals {
                connectivity
                    .for_each_outgoing_in(i as usize, block, |s, j| add(j, weights[s] * f[s]));
            }
        }
    }
}

/// The sparse case of [`for_each_transmission_in`]: `add(post, weight × scale)` for the part
/// `find` gives of every arriving row (`csr` rows, `weights`, `arrivals`), in order.
#[inline]
fn transmit_parts(
    (csr, weights, arrivals): (&Csr, &[Real], &[u32]),
    find: &impl FindRowPart,
    scale: Option<&TransmissionScale>,
    mut add: impl FnMut(usize, Real),
) {
    let rows = (csr, arrivals);
    match scale {
        None => for_each_part_synapse(rows, find, |_, s, j| add(j, weights[s])),
        Some(TransmissionScale::PerPre(f)) => {
            for_each_part_synapse(rows, find, |i, s, j| add(j, weights[s] * f[i]));
        }
        Some(TransmissionScale::PerSynapse(f)) => {
            for_each_part_synapse(rows, find, |_, s, j| add(j, weights[s] * f[s]));
        }
    }
}

/// `visit(pre, synapse, post)` for the synapses in the part `find` gives of every arriving
/// row, in order.
#[inline]
fn for_each_part_synapse(
    (csr, arrivals): (&Csr, &[u32]),
    find: &impl FindRowPart,
    mut visit: impl FnMut(usize, usize, usize),
) {
    let post = csr.post_of();
    for &i in arrivals {
        let i = i as usize;
        let row = csr.row(i);
        let mine = find.part(i, &post[row.clone()]);
        let first = row.start + mine.start;
        for (k, &j) in post[first..row.start + mine.end].iter().enumerate() {
            visit(i, first + k, j as usize);
        }
    }
}

/// Core system (after `InputSpikes`): advance every projection's delay line (and, with
/// per-synapse delays, its synapse queue).
#[expect(
    clippy::type_complexity,
    reason = "a bevy query over a projection's delivery components"
)]
pub(crate) fn deliver_spikes(
    clock: crate::clock::Clock,
    spikes: Query<&Spikes>,
    mut projections: Query<(
        &Projection,
        &mut DelayLine,
        &mut Arrivals,
        Option<(&Connectivity, &SynapseDelays, &mut SynapseQueue)>,
    )>,
) {
    for (projection, mut line, mut arrivals, per_synapse) in &mut projections {
        let pre = spikes
            .get(projection.pre)
            .map(Spikes::indices)
            .unwrap_or(&[]);
        match per_synapse {
            None => line.advance(clock.step, pre, &mut arrivals.pre),
            Some((connectivity, delays, mut queue)) => {
                let queue = &mut *queue;
                line.advance(clock.step, pre, queue.base_mut());
                arrivals.pre.clear();
                queue.advance(clock.step, connectivity, delays, &mut arrivals.synapses);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transmissions_of_blocks_are_those_of_the_whole_delivery() {
        use crate::connectivity::ConnectivitySpec;
        use crate::rng::SimRng;
        let sparse = ConnectivitySpec::List(vec![(0, 1), (0, 3), (1, 0), (1, 2), (1, 4), (3, 1)])
            .build(
                4,
                5,
                false,
                &SimRng { seed: 1 }.streams("p", "connectivity"),
            )
            .unwrap()
            .connectivity;
        let dense = Connectivity::Dense {
            n_pre: 4,
            n_post: 5,
        };
        for conn in [&sparse, &dense] {
            let n = conn.n_synapses();
            let w: Vec<Real> = (0..n).map(|s| 0.5 + s as Real).collect();
            let per_pre = TransmissionScale::PerPre(vec![0.5, 0.25, 2.0, 4.0]);
            let per_synapse = TransmissionScale::PerSynapse((0..n).map(|s| s as Real).collect());
            for scale in [None, Some(&per_pre), Some(&per_synapse)] {
                let mut whole = Vec::new();
                for_each_pre_transmission(conn, &w, &[0, 1, 3], scale, |j, x| whole.push((j, x)));
                for parts in 1..4 {
                    // Rows searched, and rows split once for this layout.
                    let mut kept = conn.clone();
                    kept.split_rows_at(
                        &(0..=parts)
                            .map(|p| crate::parallel::block_range(5, p, parts).start)
                            .collect::<Vec<_>>(),
                    );
                    for conn in [conn, &kept] {
                        let mut split = Vec::new();
                        for p in 0..parts {
                            let block = crate::parallel::block_range(5, p, parts);
                            let mut add = |j, x| {
                                assert!(block.contains(&j));
                                split.push((j, x));
                            };
                            for_each_transmission_in(conn, &w, &[0, 1, 3], scale, &block, &mut add);
                        }
                        // Per postsynaptic neuron, the same values in the same order.
                        let by_post = |v: &[(usize, Real)]| {
                            let mut v = v.to_vec();
                            v.sort_by_key(|&(j, _)| j);
                            v
                        };
                        assert_eq!(by_post(&whole), by_post(&split), "{parts} parts");
                    }
                }
            }
        }
    }

    #[test]
    fn delay_line_delays_by_exactly_d_steps() {
        for d in 0..5u32 {
            let mut line = DelayLine::new(d);
            let mut arrivals = Vec::new();
            let mut seen = Vec::new();
            for step in 0..20u64 {
                let input: &[u32] = if step == 3 {
                    &[7]
                } else if step == 4 {
                    &[1, 2]
                } else {
                    &[]
                };
                line.advance(step, input, &mut arrivals);
                if !arrivals.is_empty() {
                    seen.push((step, arrivals.clone()));
                }
            }
            let d = u64::from(d);
            assert_eq!(
                seen,
                vec![(3 + d, vec![7]), (4 + d, vec![1, 2])],
                "delay {d}"
            );
        }
    }

    #[test]
    fn inserted_spikes_arrive_at_their_step_for_every_delay() {
        for d in 0..4u32 {
            let mut line = DelayLine::new(d);
            let mut arrivals = Vec::new();
            let mut seen = Vec::new();
            for step in 0..10u64 {
                line.advance(step, &[], &mut arrivals);
                if !arrivals.is_empty() {
                    seen.push((step, arrivals.clone()));
                }
                if step == 2 {
                    // Emitted at step 2 elsewhere, received after that step: acts at 2 + 1 + d.
                    line.insert_arriving(3 + u64::from(d), 4);
                    line.insert_arriving(3 + u64::from(d), 9);
                }
            }
            assert_eq!(seen, vec![(3 + u64::from(d), vec![4, 9])], "delay {d}");
        }
    }

    #[test]
    fn transmission_scales() {
        let conn = Connectivity::Dense {
            n_pre: 2,
            n_post: 2,
        };
        let w = [1.0, 2.0, 3.0, 4.0];
        let mut out = [0.0; 2];
        for_each_transmission(
            &conn,
            &w,
            &Arrivals::of_pre(vec![1]),
            Some(&TransmissionScale::PerPre(vec![0.0, 0.5])),
            |j, x| out[j] += x,
        );
        assert_eq!(out, [1.5, 2.0]);
        let mut out = [0.0; 2];
        let per_syn = TransmissionScale::PerSynapse(vec![1.0, 1.0, 0.1, 1.0]);
        for_each_transmission(
            &conn,
            &w,
            &Arrivals::of_pre(vec![0, 1]),
            Some(&per_syn),
            |j, x| out[j] += x,
        );
        assert!((out[0] - 1.3).abs() < 1e-6 && out[1] == 6.0);
    }
}
