//! Threads: the network split by postsynaptic neuron, and the execution of those partitions.
//!
//! A simulation with `P` threads has `P` **partitions**. Partition `p` owns, in every
//! population of size `n`, the contiguous block of neurons [`block_range`]`(n, p, P)` — their
//! state, their input accumulators, their incoming synapses (delivery targets, synapse state)
//! and so the values recorded for them. No two partitions write the same value, and every
//! neuron's inputs are summed in the same order as on one thread (by projection in creation
//! order, then by presynaptic index), so results are bit-identical whatever `P`.
//!
//! - [`partition`]: the block rule and the helpers that split a population's arrays and a
//!   projection's rows into those blocks.
//! - [`executor`]: [`Executor`], the resource a system asks to run one closure per partition
//!   (inline with one thread, on the simulation's own [`fork_join::ForkJoin`] team otherwise).
//! - [`param`]: `&Executor` as a system parameter (a copy kept by the system, refreshed from the
//!   [`SharedExecutor`] when the simulation replaces the executor), instead of `&Executor`.
//! - [`fork_join`]: that team: spinning workers with a fixed partition each, so that starting a
//!   region costs about a microsecond.
//! - [`row_splits`]: each sparse row's split positions at the partition boundaries, kept per
//!   layout, so a partition finds its part of an arriving row with one load.
//! - [`blocks`]: [`Executor::for_each_block`], which cuts a tuple of per-neuron arrays into the
//!   partitions' blocks and runs a kernel on each (a plain call with one partition).
//!
//! A system that does not use the [`Executor`] simply runs on the calling thread over whole
//! arrays, as before: that is always correct, only not parallel. See `docs/parallel.md`.

pub mod blocks;
pub mod executor;
pub mod fork_join;
pub mod param;
pub mod partition;
pub mod row_splits;

pub use blocks::{Blocks, PerPartition};
pub use executor::{Executor, ThreadsError};
pub use param::SharedExecutor;
pub use partition::{RowLocator, block_range, row_block, split_blocks_mut, split_some_blocks_mut};
pub use row_splits::{BlockOffsets, FindRowPart, RowParts};

use bevy_ecs::system::Query;

use crate::population::{Population, Spikes};

/// After [`crate::stage::Stage::NeuronStep`], on a rank of several: keep only the spikes of
/// this rank's own neurons in every neuron population (a neuron model that is not partitioned
/// steps every neuron, and those it does not own lack their inputs). Plasticity, counting and
/// recording then see exactly the owned neurons' spikes; the others arrive by the exchange.
/// Does nothing with one rank.
pub fn keep_owned_spikes(executor: &Executor, mut populations: Query<(&Population, &mut Spikes)>) {
    if executor.ranks() == 1 {
        return;
    }
    for (population, mut spikes) in &mut populations {
        if population.is_input || spikes.count() == 0 {
            continue;
        }
        spikes.retain_range(executor.owned(population.size));
    }
}
