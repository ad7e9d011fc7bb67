//! One parallel region per synapse system: every projection of the system delivered and
//! integrated by each partition on its own postsynaptic block, in creation order.
//!
//! A system that ran one region per projection paid one hand-off and one wait per projection
//! and step (COBA: four), and each wait lasted as long as that projection's most loaded
//! partition. With one region the partitions' differences in the projections can cancel out
//! and the step has one barrier for the whole synapse stage. [`PostTargets`] collects the
//! postsynaptic populations the projections write into, so that each population's arrays are
//! cut into partition blocks once and shared, in each partition, by every projection onto it
//! (see [`hebb_core::parallel::Executor::for_each_block_into`]).

use std::ops::Range;

use hebb_core::prelude::*;

use crate::deliver::Incoming;
use crate::exponential::SynapseState;

/// What a synapse output writes and reads of a postsynaptic population: its input current and,
/// if it has one, its membrane potential.
pub type PostArrays = (
    Entity,
    &'static mut SynapticInput,
    Option<&'static Membrane>,
);

/// One postsynaptic population's arrays for a region: `(size, (current, membrane v))`.
pub type PostBlock<'a> = (usize, (&'a mut [Real], Option<&'a [Real]>));

/// The postsynaptic populations of a synapse system's projections, in order of first use.
#[derive(Debug, Default)]
pub struct PostTargets {
    entities: Vec<Entity>,
    sizes: Vec<usize>,
}

impl PostTargets {
    /// The index of population `post` (of `size` neurons) among the targets, added if new.
    pub fn index(&mut self, post: Entity, size: usize) -> usize {
        if let Some(t) = self.entities.iter().position(|&e| e == post) {
            return t;
        }
        self.entities.push(post);
        self.sizes.push(size);
        self.entities.len() - 1
    }

    /// The targets' arrays, in target order, for [`Executor::for_each_block_into`]. Every
    /// target must be in `posts` (check with `Query::contains` before [`PostTargets::index`]).
    ///
    /// # Panics
    /// If a target is missing from `posts`.
    pub fn arrays<'a>(&self, posts: &'a mut Query<'_, '_, PostArrays>) -> Vec<PostBlock<'a>> {
        let found = posts
            .iter_mut()
            .map(|(entity, input, membrane)| (entity, (input.into_inner(), membrane)));
        self.gather(found, |n, (input, membrane)| {
            (&mut input.current[..n], membrane.map(|m| &m.v[..n]))
        })
    }

    /// The targets' arrays, in target order: `cut(size, found)` of each target's entry in
    /// `found` (`(entity, what the system reads of it)`, e.g. a query's items), for
    /// [`Executor::for_each_block_into`].
    ///
    /// # Panics
    /// If a target is missing from `found`.
    pub fn gather<T, B>(
        &self,
        found: impl IntoIterator<Item = (Entity, T)>,
        cut: impl Fn(usize, T) -> B,
    ) -> Vec<(usize, B)> {
        let mut arrays: Vec<Option<(usize, B)>> = self.entities.iter().map(|_| None).collect();
        for (entity, item) in found {
            if let Some(t) = self.entities.iter().position(|&e| e == entity) {
                let n = self.sizes[t];
                arrays[t] = Some((n, cut(n, item)));
            }
        }
        arrays
            .into_iter()
            .map(|t| t.expect("every target population is found"))
            .collect()
    }
}

/// A projection of a `g`/`pending` synapse output, as its system queries it: what it reads
/// ([`Incoming`]), its output's constants `O` and its [`SynapseState`].
pub type StatefulProjection<O> = (Incoming<'static>, &'static O, &'static mut SynapseState);

/// The step of every projection of a synapse output with a [`SynapseState`] (`Exponential`,
/// `Conductance`) on several partitions, in one region: `block_step(incoming, output, block,
/// g, pending, (current, v))` on each partition's block of each projection, in creation order
/// (`current` and `v`, the membrane if the population has one, hold the block's neurons). A
/// projection whose postsynaptic population has no [`SynapticInput`] is skipped.
///
/// With one thread and one rank the systems call their kernels directly instead, one plain
/// call per projection on whole arrays: that keeps one thread's cost per projection what it was
/// (through this function's closure it was ≈ 60–90 instructions more per projection and step).
pub fn step_projections_in_one_region<O: Component + Sync>(
    executor: &Executor,
    projections: &mut Query<StatefulProjection<O>>,
    posts: &mut Query<PostArrays>,
    block_step: impl Fn(Incoming<'_>, &O, Range<usize>, &mut [Real], &mut [Real], PostSlices<'_>) + Sync,
) {
    let mut targets = PostTargets::default();
    let mut incoming = Vec::new();
    let mut items = Vec::new();
    for (projection_in, output, state) in projections.iter_mut() {
        let post = projection_in.0.post;
        if !posts.contains(post) {
            continue;
        }
        let state = state.into_inner();
        let target = targets.index(post, state.g.len());
        incoming.push((projection_in, output));
        items.push((target, (&mut state.g[..], &mut state.pending[..])));
    }
    if items.is_empty() {
        return;
    }
    let targets = targets.arrays(posts);
    executor.for_each_block_into(targets, items, |k, block, (current, v), (g, pending)| {
        let (incoming, output) = incoming[k];
        block_step(incoming, output, block, g, pending, (current, *v));
    });
}

/// One postsynaptic block's input current and, if the population has one, membrane potential.
pub type PostSlices<'a> = (&'a mut [Real], Option<&'a [Real]>);
