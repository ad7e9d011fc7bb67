//! Snapshots of a run spread over several ranks: rank 0 gathers every rank's state and merges
//! it into the state one process would have saved, so the snapshot resumes on any number of
//! threads or ranks.
//!
//! Each rank's state is right for what it owns and for what every rank computes in full. The
//! merge ([`hebb_core::state_merge`]) takes, per saved component, every array indexed by neuron
//! or synapse entry by entry from the owning rank:
//!
//! | entity | arrays taken from the owner | everything else |
//! |---|---|---|
//! | neuron population of `n` | length `n`: neuron `i` from its rank | rank 0; spike counts summed |
//! | input population | — (every rank generates it whole) | rank 0 |
//! | projection | length `n_post`: from the postsynaptic neuron's rank; length `n_synapses`: from the rank of the synapse's postsynaptic neuron | rank 0 (presynaptic state, delay lines: the same on every rank) |
//! | stimulus | length of its population: from the neuron's rank | rank 0 |
//! | network model, resources, clock, recorders | — | rank 0 |
//!
//! Before saving, the ranks trade the spikes not yet exchanged (an early exchange: spikes then
//! wait in the delay lines, where one process keeps them too), so every rank's delay lines hold
//! every spike emitted so far.
//!
//! A projection with as many synapses as postsynaptic neurons whose synapses are not in
//! postsynaptic order (per-synapse and per-neuron arrays could not be told apart) is refused
//! with a plain error.

use bevy_ecs::prelude::*;
use hebb_core::connectivity::Connectivity;
use hebb_core::population::{Population, StimulusOf};
use hebb_core::simulation::Simulation;
use hebb_core::snapshot::{EntityState, SnapshotRegistry, StateSnapshot, keyed_entities};
use hebb_core::state_merge::MergeRule;

use crate::distributed::RankRun;
use crate::error::DistError;
use crate::exchange::Exchange;
use crate::layout::owner_of;

/// Which rank owns which entry of an entity's arrays.
#[derive(Debug, Clone, Copy)]
enum Owners<'w> {
    /// Nothing per rank: rank 0's values.
    Shared,
    /// Arrays of `size` entries are per neuron.
    Neurons { size: usize },
    /// A projection: per postsynaptic neuron and per synapse.
    Synapses(&'w Connectivity),
}

impl RankRun {
    /// The state of the whole network as one process would save it between steps (collective:
    /// every rank calls it after the same step). `Some` on rank 0, `None` on the others; with
    /// one rank, the process's own state.
    pub fn gather_state(
        &mut self,
        sim: &mut Simulation,
        exchange: &mut dyn Exchange,
    ) -> Result<Option<StateSnapshot>, DistError> {
        let snapshot_error =
            |e: hebb_core::snapshot::SnapshotError| DistError::Exchange(format!("snapshot: {e}"));
        if self.ranks() == 1 {
            return sim.save_state().map(Some).map_err(snapshot_error);
        }
        self.exchange_now(sim, exchange)?;
        let mine = sim
            .save_state()
            .and_then(|s| s.to_bytes())
            .map_err(snapshot_error)?;
        let all = exchange.gather_bytes(&mine)?;
        if self.rank() != 0 {
            return Ok(None);
        }
        let parts = all
            .iter()
            .map(|bytes| StateSnapshot::from_bytes(bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(snapshot_error)?;
        merge_states(sim, parts, self.ranks()).map(Some)
    }
}

/// Rank 0's snapshot with every entity's components merged from the ranks' `parts`.
fn merge_states(
    sim: &Simulation,
    mut parts: Vec<StateSnapshot>,
    ranks: usize,
) -> Result<StateSnapshot, DistError> {
    let world = &sim.world;
    let registry = world.resource::<SnapshotRegistry>();
    let keyed = keyed_entities(sim.index());
    let mismatch = |m: String| DistError::Exchange(format!("snapshot: {m}"));
    let mut merged_entities = Vec::with_capacity(keyed.len());
    for (k, (key, entity)) in keyed.iter().enumerate() {
        let mine: Vec<&EntityState> = parts.iter().filter_map(|p| p.entities.get(k)).collect();
        if mine.len() != ranks || mine.iter().any(|e| e.key != *key) {
            return Err(mismatch(format!(
                "ranks saved different entities at `{key}`"
            )));
        }
        let owners = owners_of(world, *entity, ranks, key)?;
        let owner = |len: usize, i: usize| match owners {
            Owners::Shared => None,
            Owners::Neurons { size } => (len == size).then(|| owner_of(i, size, ranks)),
            Owners::Synapses(connectivity) => {
                let n_post = connectivity.n_post();
                if len == n_post {
                    Some(owner_of(i, n_post, ranks))
                } else if len == connectivity.n_synapses() {
                    let j = connectivity.post_of_synapse(i).filter(|&j| j < n_post)?;
                    Some(owner_of(j, n_post, ranks))
                } else {
                    None
                }
            }
        };
        let mut components = Vec::with_capacity(mine[0].components.len());
        for (c, (name, _)) in mine[0].components.iter().enumerate() {
            let bytes: Vec<&[u8]> = mine
                .iter()
                .filter_map(|e| e.components.get(c))
                .filter(|(n, _)| n == name)
                .map(|(_, b)| b.as_slice())
                .collect();
            if bytes.len() != ranks {
                return Err(mismatch(format!(
                    "ranks saved different components of `{key}`"
                )));
            }
            // Each rank counts its own neurons' spikes (an input population's count is whole
            // on every rank).
            let rule = MergeRule {
                owner: &owner,
                sum_integers: name.ends_with("::SpikeCount")
                    && matches!(owners, Owners::Neurons { .. }),
            };
            let merged = registry
                .merge_component(name, &bytes, &rule)
                .map_err(|e| mismatch(format!("`{key}`, {name}: {e}")))?;
            components.push((name.clone(), merged));
        }
        merged_entities.push(EntityState {
            key: key.clone(),
            components,
        });
    }
    let mut state = parts.swap_remove(0);
    state.entities = merged_entities;
    Ok(state)
}

/// How entity `entity` (`key`)'s arrays are owned.
fn owners_of<'w>(
    world: &'w World,
    entity: Entity,
    ranks: usize,
    key: &str,
) -> Result<Owners<'w>, DistError> {
    let neurons = |e: Entity| match world.get::<Population>(e) {
        Some(p) if !p.is_input => Owners::Neurons { size: p.size },
        _ => Owners::Shared,
    };
    if world.get::<Population>(entity).is_some() {
        return Ok(neurons(entity));
    }
    if let Some(StimulusOf(population)) = world.get::<StimulusOf>(entity) {
        return Ok(neurons(*population));
    }
    let Some(connectivity) = world.get::<Connectivity>(entity) else {
        return Ok(Owners::Shared);
    };
    let n_post = connectivity.n_post();
    let n_synapses = connectivity.n_synapses();
    if n_synapses == n_post
        && (0..n_synapses).any(|s| {
            connectivity.post_of_synapse(s).is_none_or(|j| {
                j >= n_post || owner_of(j, n_post, ranks) != owner_of(s, n_post, ranks)
            })
        })
    {
        return Err(DistError::Exchange(format!(
            "snapshot: `{key}` has as many synapses as postsynaptic neurons, not in \
             postsynaptic order, so its per-synapse and per-neuron state cannot be told apart \
             when merging the ranks' state; take snapshots of this network with one process"
        )));
    }
    Ok(Owners::Synapses(connectivity))
}
