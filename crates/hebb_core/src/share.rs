//! A rank's share of the synapses: with several MPI ranks, each rank builds only the synapses
//! onto the postsynaptic neurons it owns, so the network's synapse memory is divided between
//! the ranks (see `docs/mpi.md`).
//!
//! Rank `r` of `R` owns the block `⌊n·r/R⌋ .. ⌊n·(r+1)/R⌋` of every population
//! ([`crate::parallel::block_range`]) and the synapses onto those neurons. A projection is
//! built as a share ([`ConnectivitySpec::build_columns`]) when
//! - a [`SynapseShare`] resource with more than one rank is present when it is added;
//! - its connectivity and weights are drawn per postsynaptic neuron
//!   ([`ConnectivitySpec::builds_by_column`]);
//! - it is static: no short-term plasticity and no plasticity rule (their presynaptic state
//!   and rules still run over every synapse on every rank, so those projections are built
//!   whole);
//! - no recorder reads its weights (the scene lists it in [`SynapseShare::keep_whole`]: weight
//!   recorders and tables name synapses of the whole projection).
//!
//! Such a projection's [`crate::connectivity::Connectivity`] keeps the whole projection's
//! sizes (`n_pre`, `n_post`) but holds only the rank's columns, numbered row-major as usual
//! (a local numbering: synapse `s` of the share is not synapse `s` of the whole projection);
//! its [`crate::projection::Weights`] are those synapses' weights. Row `i` of the whole
//! projection is row `i` of rank 0's share, then rank 1's, …, in rank order (rows are sorted
//! by postsynaptic neuron and the blocks ascend with the rank), which is how rank 0 puts the
//! whole projection's weights together for a snapshot. [`SynapseShare::shares`] lists such
//! projections ([`crate::simulation::Simulation::owned_columns`]). The share is kept in the
//! [`crate::simulation::Simulation`], outside its World, on purpose: a component on some
//! projections only moves them to another archetype and changes the order in which systems
//! visit projections (hence the order of the sums into a neuron), and even a resource
//! inserted before the plugins changed the last bits of a plastic network's membranes
//! (found by `hebb_mpi/tests/in_process_ranks.rs`); a distributed rank's World must be built
//! exactly as one process's.
//!
//! [`ConnectivitySpec::build_columns`]: crate::connectivity::ConnectivitySpec::build_columns
//! [`ConnectivitySpec::builds_by_column`]: crate::connectivity::ConnectivitySpec::builds_by_column

use std::ops::Range;

use bevy_ecs::entity::Entity;

/// Build only this rank's share of the projections added from now on (set by
/// [`crate::simulation::Simulation::set_synapse_share`] before the projections are added).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynapseShare {
    /// This rank.
    pub rank: usize,
    /// Number of ranks (1: every projection is built whole).
    pub ranks: usize,
    /// Projections to build whole anyway (by name): those a recorder reads.
    pub keep_whole: Vec<String>,
    /// The projections built as this rank's share, in the order they were added.
    pub shares: Vec<(Entity, OwnedColumns)>,
}

impl SynapseShare {
    /// The columns projection `entity` holds, if it was built as this rank's share.
    pub fn owned_columns(&self, entity: Entity) -> Option<&OwnedColumns> {
        self.shares
            .iter()
            .find(|(e, _)| *e == entity)
            .map(|(_, owned)| owned)
    }

    /// The postsynaptic neurons whose synapses this rank builds, for a population of `n_post`.
    pub fn columns(&self, n_post: usize) -> Range<usize> {
        crate::parallel::block_range(n_post, self.rank, self.ranks)
    }
}

/// Of a projection built as this rank's share: the postsynaptic neurons whose incoming
/// synapses it holds (every other column is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedColumns {
    /// The owned postsynaptic neurons.
    pub columns: Range<usize>,
    /// The whole projection's number of synapses, once the ranks have counted them together
    /// (`hebb_mpi` sets it on rank 0 when it gathers the outputs); `None` before.
    pub total_synapses: Option<u64>,
}
