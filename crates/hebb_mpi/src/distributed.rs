//! Running a built [`Simulation`] as one rank of several: ownership of spikes, the exchange at
//! every communication interval, and gathering the outputs on rank 0.
//!
//! ## What a rank does per step
//! 1. The step runs as usual (every stage), on the rank's whole replica of the network.
//! 2. At the end of the step (end of [`Stage::Record`]) the spikes of the neurons this rank
//!    owns ([`crate::layout`]) are queued for the exchange, and the neuron populations' spike
//!    lists are cleared, so the core's delivery pushes none of them: every neuron spike reaches
//!    the delay lines through the exchange, all ranks' together in canonical order.
//!
//! Every `interval` steps ([`crate::layout::communication_interval`]) the ranks trade their
//! queued spikes; each received spike of neuron `i` emitted at step `k` is inserted into the
//! delay line of every projection leaving its population, to arrive at `k + 1 + d` exactly as
//! in one process. Input populations are not exchanged: every rank generates them in full.
//!
//! ## What is distributed
//! Each rank steps only its own neurons: [`Simulation::set_rank`] makes the partitioned systems
//! (the `LifRef`/`Lif` neuron steps and the `Conductance`/`Exponential`/`Delta` synapses)
//! work on the rank's block of every population, and drops other ranks' spikes after
//! [`Stage::NeuronStep`] (a model that is not partitioned steps every neuron, correctly for
//! the owned ones). A rank built with `Scene::build_share` holds only its share of the static
//! projections ([`hebb_core::share`]: the synapses onto its neurons); plastic projections, those
//! with short-term plasticity and those a recorder reads are built whole on every rank, and
//! plasticity runs over every synapse on every rank: a synapse's weight is right on the rank
//! that owns its postsynaptic neuron, which is where it is read for delivery and gathered from
//! for outputs. The weights of a share are not gathered at the end (nothing reads them), only
//! its synapse count (`OwnedColumns::total_synapses` on rank 0).
//!
use bevy_ecs::prelude::*;
use hebb_core::Real;
use hebb_core::clock::Clock;
use hebb_core::connectivity::Connectivity;
use hebb_core::population::{Population, SpikeCount, Spikes};
use hebb_core::projection::{DelayLine, Projection, Weights};
use hebb_core::record::{Recorders, Source, WeightTableRecording};
use hebb_core::simulation::Simulation;
use hebb_core::stage::Stage;

use crate::error::DistError;
use crate::exchange::{Exchange, SpikeEvent, SpikeExchange};
use crate::layout::{check_ranks, communication_interval, owner_of};

/// Steps per exchange when no projection leaves a neuron population (nothing needs to travel;
/// the ranks still meet this often to agree on stopping).
const IDLE_INTERVAL: u64 = 64;

/// One neuron population as seen by a rank.
#[derive(Debug, Clone)]
struct OwnedPopulation {
    entity: Entity,
    /// Index in the network's creation order (the exchange's population number).
    index: u32,
}

/// The rank's ownership and its queue of spikes for the next exchange (a World resource).
#[derive(Resource, Debug)]
struct RankState {
    /// First step of the current communication interval.
    interval_start: u64,
    /// Neuron (non-input) populations.
    neurons: Vec<OwnedPopulation>,
    queue: SpikeExchange,
}

/// `Record` (last): queue this rank's own spikes for the exchange and clear the neuron
/// populations' spike lists, so that neuron spikes travel only through the exchange.
fn send_owned_spikes(clock: Clock, mut state: ResMut<RankState>, mut spikes: Query<&mut Spikes>) {
    let state = &mut *state;
    let offset = (clock.step - state.interval_start) as u32;
    for p in &state.neurons {
        if let Ok(mut s) = spikes.get_mut(p.entity) {
            if s.count() == 0 {
                continue;
            }
            // Only the owned neurons' spikes are left (`keep_owned_spikes` after NeuronStep).
            state.queue.push_all(offset, p.index, s.indices());
            s.clear();
        }
    }
}

/// A simulation prepared to run as rank `rank` of `ranks`.
#[derive(Debug)]
pub struct RankRun {
    rank: usize,
    ranks: usize,
    interval: u64,
    /// Projections by presynaptic neuron population index: (entity, delay in steps).
    outgoing: Vec<Vec<(Entity, u64)>>,
    received: Vec<SpikeEvent>,
}

impl RankRun {
    /// Prepare `sim` (built from the scene, not yet stepped, or restored from a snapshot) to
    /// run as rank `rank` of `ranks`. With one rank nothing changes and nothing is exchanged.
    pub fn prepare(sim: &mut Simulation, rank: usize, ranks: usize) -> Result<Self, DistError> {
        let index = sim.index().clone();
        let sizes: Vec<usize> = index
            .populations
            .iter()
            .filter_map(|(_, e)| sim.world.get::<Population>(*e).map(|p| p.size))
            .collect();
        check_ranks(ranks, &sizes)?;
        let mut neurons = Vec::new();
        let mut outgoing = vec![Vec::new(); index.populations.len()];
        let mut delays = Vec::new();
        for (i, (_, e)) in index.populations.iter().enumerate() {
            let Some(p) = sim.world.get::<Population>(*e) else {
                continue;
            };
            if p.is_input {
                continue;
            }
            neurons.push(OwnedPopulation {
                entity: *e,
                index: i as u32,
            });
            for (_, pe) in &index.projections {
                if let Some(proj) = sim.world.get::<Projection>(*pe)
                    && proj.pre == *e
                {
                    outgoing[i].push((*pe, u64::from(proj.delay_steps)));
                    delays.push(proj.delay_steps);
                }
            }
        }
        let interval = communication_interval(delays).map_or(IDLE_INTERVAL, u64::from);
        if ranks > 1 {
            sim.set_rank(rank, ranks)
                .map_err(|e| DistError::Exchange(e.to_string()))?;
            // Each rank counts its own neurons' spikes and rank 0 sums the counts: the counts
            // so far (restored from a snapshot) stay on rank 0 only.
            if rank != 0 {
                for n in &neurons {
                    if let Some(mut count) = sim.world.get_mut::<SpikeCount>(n.entity) {
                        count.0 = 0;
                    }
                }
            }
            // Population rates: each rank counts its own neurons' spikes per bin, and rank 0
            // sums the counts of every bin (`gather_outputs`).
            for rec in &mut sim.world.resource_mut::<Recorders>().states {
                if let Some(rate) = &mut rec.rate {
                    rate.bin_counts = Some(Vec::new());
                }
            }
            let start = sim.clock().step;
            sim.world.insert_resource(RankState {
                interval_start: start,
                neurons,
                queue: SpikeExchange::new(),
            });
            sim.add_systems(Stage::Record, send_owned_spikes);
        }
        Ok(Self {
            rank,
            ranks,
            interval,
            outgoing,
            received: Vec::new(),
        })
    }

    /// This rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Number of ranks.
    pub fn ranks(&self) -> usize {
        self.ranks
    }

    /// Steps per communication interval.
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Run `steps` steps (collective: every rank must ask for the same number), exchanging
    /// spikes at the end of every communication interval.
    pub fn run_steps(
        &mut self,
        sim: &mut Simulation,
        exchange: &mut dyn Exchange,
        steps: u64,
    ) -> Result<(), DistError> {
        if self.ranks == 1 {
            sim.run_steps(steps);
            return Ok(());
        }
        let mut done = 0;
        while done < steps {
            let start = sim.clock().step;
            let since_start = start - sim.world.resource::<RankState>().interval_start;
            let n = (self.interval - since_start).min(steps - done);
            sim.run_steps(n);
            done += n;
            if since_start + n == self.interval {
                self.exchange(sim, exchange)?;
            }
        }
        Ok(())
    }

    /// Trade the spikes queued so far now, before the communication interval is over
    /// (collective), and start a new interval: every rank's delay lines then hold every spike
    /// emitted so far (where one process keeps them too), e.g. for a snapshot. The spikes of a
    /// step are inserted all at once, in the same order, whenever they are traded, so this
    /// changes nothing later.
    pub(crate) fn exchange_now(
        &mut self,
        sim: &mut Simulation,
        exchange: &mut dyn Exchange,
    ) -> Result<(), DistError> {
        if self.ranks == 1 {
            return Ok(());
        }
        self.exchange(sim, exchange)
    }

    /// Trade the queued spikes and insert every rank's into the delay lines.
    fn exchange(
        &mut self,
        sim: &mut Simulation,
        exchange: &mut dyn Exchange,
    ) -> Result<(), DistError> {
        let next_step = sim.clock().step;
        let interval_start = {
            let mut state = sim.world.resource_mut::<RankState>();
            let received = state.queue.exchange(exchange)?;
            self.received.clear();
            self.received.extend_from_slice(received);
            let start = state.interval_start;
            state.interval_start = next_step;
            start
        };
        // Sorted by (step, population, neuron): each delay line gets each step's neurons in
        // ascending order.
        for event in &self.received {
            let emitted = interval_start + u64::from(event.step);
            for &(projection, delay) in &self.outgoing[event.population as usize] {
                let arrival = emitted + 1 + delay;
                debug_assert!(arrival >= next_step && arrival - next_step <= delay);
                if let Some(mut line) = sim.world.get_mut::<DelayLine>(projection) {
                    line.insert_arriving(arrival, event.neuron);
                }
            }
        }
        Ok(())
    }

    /// Whether any rank's `flag` is set (collective; e.g. to stop all ranks at the same step).
    pub fn any(&self, exchange: &mut dyn Exchange, flag: bool) -> Result<bool, DistError> {
        if self.ranks == 1 {
            return Ok(flag);
        }
        exchange.any(flag)
    }

    /// Bring every rank's share of the outputs to rank 0 (collective), so that rank 0's
    /// recorders are those of the whole network, as in one process: spike
    /// recordings merged in (step, neuron) order, every recorded column taken from the rank that
    /// owns its element. Call after the last step; other ranks'
    /// recorders are left as they were.
    pub fn gather_outputs(
        &self,
        sim: &mut Simulation,
        exchange: &mut dyn Exchange,
    ) -> Result<(), DistError> {
        self.gather(sim, exchange, true)
    }

    /// Bring every rank's recordings so far to rank 0 (collective), as [`Self::gather_outputs`]
    /// does but without the spike counts and weights, and empty the other ranks' recording
    /// buffers: rank 0 can then write them out (e.g. before a snapshot) and recording goes on,
    /// to be gathered again later without repeating anything.
    pub fn gather_recordings(
        &self,
        sim: &mut Simulation,
        exchange: &mut dyn Exchange,
    ) -> Result<(), DistError> {
        self.gather(sim, exchange, false)?;
        if self.rank != 0 {
            let mut recorders = sim.world.resource_mut::<Recorders>();
            for rec in &mut recorders.spikes {
                rec.steps.clear();
                rec.neurons.clear();
            }
            for rec in &mut recorders.states {
                rec.times_ms.clear();
                rec.values.clear();
                if let Some(counts) = rec.rate.as_mut().and_then(|r| r.bin_counts.as_mut()) {
                    counts.clear();
                }
            }
            for table in &mut recorders.tables {
                table.times_ms.clear();
                table.values.clear();
            }
        }
        Ok(())
    }

    fn gather(
        &self,
        sim: &mut Simulation,
        exchange: &mut dyn Exchange,
        totals: bool,
    ) -> Result<(), DistError> {
        if self.ranks == 1 {
            return Ok(());
        }
        let plan = OutputPlan::of(sim, self.ranks, totals);
        let mine = plan.encode(sim, self.rank);
        let all = exchange.gather_bytes(&mine)?;
        if self.rank == 0 {
            plan.decode_into(sim, &all)?;
        }
        Ok(())
    }
}

/// Who owns what in the outputs: one owner per recorded spike (by neuron), per recorded column,
/// per synapse's weight (its postsynaptic neuron's rank); each rank counts its own neurons'
/// spikes, and rank 0 sums the counts.
struct OutputPlan {
    ranks: usize,
    /// Per spike recorder: the population size and whether it is an input (then rank 0 has all).
    spike_recorders: Vec<Option<(usize, bool)>>,
    /// Per state recorder, per column: the owning rank.
    column_owners: Vec<Vec<usize>>,
    /// Neuron (non-input) populations, whose spike counts are summed over ranks.
    neuron_populations: Vec<Entity>,
    /// Every projection, in creation order: its weights are gathered by owner.
    projections: Vec<Entity>,
    /// Whether spike counts and weights are gathered too (not only recordings).
    totals: bool,
}

impl OutputPlan {
    fn of(sim: &Simulation, ranks: usize, totals: bool) -> Self {
        let world = &sim.world;
        let recorders = world.resource::<Recorders>();
        let spike_recorders = recorders
            .spikes
            .iter()
            .map(|r| {
                let p = world.get::<Population>(r.entity?)?;
                Some((p.size, p.is_input))
            })
            .collect();
        let column_owners = recorders
            .states
            .iter()
            .map(|r| {
                r.sources
                    .iter()
                    .map(|source| column_owner(world, r.entity, &r.variables, source, ranks))
                    .collect()
            })
            .collect();
        let index = sim.index();
        let neuron_populations = index
            .populations
            .iter()
            .map(|(_, e)| *e)
            .filter(|e| world.get::<Population>(*e).is_some_and(|p| !p.is_input))
            .collect();
        let projections = index.projections.iter().map(|(_, e)| *e).collect();
        Self {
            ranks,
            spike_recorders,
            column_owners,
            neuron_populations,
            projections,
            totals,
        }
    }

    /// The rank owning each synapse of `entity` (its postsynaptic neuron's), in synapse order.
    fn synapse_owners<'w>(
        &self,
        world: &'w World,
        entity: Entity,
    ) -> impl Iterator<Item = usize> + 'w {
        let ranks = self.ranks;
        let connectivity = world.get::<Connectivity>(entity);
        let n = connectivity.map_or(0, Connectivity::n_synapses);
        (0..n).map(move |s| {
            connectivity
                .and_then(|c| Some((c.post_of_synapse(s)?, c.n_post())))
                .map_or(0, |(j, n_post)| owner_of(j, n_post, ranks))
        })
    }

    /// This rank's share: its spikes, its columns.
    fn encode(&self, sim: &Simulation, rank: usize) -> Vec<u8> {
        let world = &sim.world;
        let recorders = world.resource::<Recorders>();
        let mut out = Bytes::default();
        for (rec, kind) in recorders.spikes.iter().zip(&self.spike_recorders) {
            let keep = |n: u32| match kind {
                Some((_, true)) => rank == 0,
                Some((size, false)) => owner_of(n as usize, *size, self.ranks) == rank,
                None => rank == 0,
            };
            let mine: Vec<(u64, u32)> = rec
                .steps
                .iter()
                .zip(&rec.neurons)
                .filter(|(_, n)| keep(**n))
                .map(|(s, n)| (*s, *n))
                .collect();
            out.u64(mine.len() as u64);
            for (s, n) in mine {
                out.u64(s);
                out.u32(n);
            }
        }
        for (rec, owners) in recorders.states.iter().zip(&self.column_owners) {
            let width = rec.columns.len();
            let rows = rec.times_ms.len();
            out.u64(rows as u64);
            for r in 0..rows {
                for (c, &owner) in owners.iter().enumerate() {
                    if owner == rank {
                        out.real(rec.values[r * width + c]);
                    }
                }
            }
        }
        for rec in &recorders.states {
            let counts = rec.rate.as_ref().and_then(|r| r.bin_counts.as_deref());
            if let Some(counts) = counts {
                out.u64(counts.len() as u64);
                counts.iter().for_each(|&c| out.u64(c));
            }
        }
        for table in &recorders.tables {
            let owners = table_owners(world, table, self.ranks);
            let n = table.pre.len();
            out.u64(table.times_ms.len() as u64);
            for row in table.values.chunks_exact(n.max(1)) {
                for (w, &owner) in row.iter().zip(&owners) {
                    if owner == rank {
                        out.real(*w);
                    }
                }
            }
        }
        if !self.totals {
            return out.0;
        }
        for &e in &self.neuron_populations {
            out.u64(world.get::<SpikeCount>(e).map_or(0, |c| c.0));
        }
        for &e in &self.projections {
            if sim.owned_columns(e).is_some() {
                // A share (static, not recorded): only its size is needed on rank 0.
                let n = world
                    .get::<Connectivity>(e)
                    .map_or(0, Connectivity::n_synapses);
                out.u64(n as u64);
                continue;
            }
            let w = world.get::<Weights>(e).map_or(&[][..], |w| w.w.as_slice());
            for (s, owner) in self.synapse_owners(world, e).enumerate() {
                if owner == rank {
                    out.real(w[s]);
                }
            }
        }
        out.0
    }

    /// Rank 0: replace its recorders' contents by the merged ones.
    fn decode_into(&self, sim: &mut Simulation, all: &[Vec<u8>]) -> Result<(), DistError> {
        let mut readers: Vec<Reader<'_>> = all.iter().map(|b| Reader(b, 0)).collect();
        let corrupt = || DistError::Exchange("malformed output share from a rank".into());
        let mut recorders = std::mem::take(&mut *sim.world.resource_mut::<Recorders>());
        for rec in &mut recorders.spikes {
            let mut merged = Vec::new();
            for reader in &mut readers {
                let n = reader.u64().ok_or_else(corrupt)?;
                for _ in 0..n {
                    merged.push((
                        reader.u64().ok_or_else(corrupt)?,
                        reader.u32().ok_or_else(corrupt)?,
                    ));
                }
            }
            merged.sort_unstable();
            rec.steps = merged.iter().map(|m| m.0).collect();
            rec.neurons = merged.iter().map(|m| m.1).collect();
        }
        for (rec, owners) in recorders.states.iter_mut().zip(&self.column_owners) {
            let width = rec.columns.len();
            let rows = rec.times_ms.len();
            for reader in &mut readers {
                if reader.u64().ok_or_else(corrupt)? != rows as u64 {
                    return Err(DistError::Exchange(format!(
                        "recorder {}: ranks recorded different numbers of rows",
                        rec.name
                    )));
                }
            }
            for r in 0..rows {
                for (c, &owner) in owners.iter().enumerate() {
                    rec.values[r * width + c] = readers[owner].real().ok_or_else(corrupt)?;
                }
            }
        }
        let dt_ms = sim.dt_ms();
        for rec in &mut recorders.states {
            let Some(rate) = &mut rec.rate else {
                continue;
            };
            let Some(bins) = rate.bin_counts.as_ref().map(Vec::len) else {
                continue;
            };
            // Every rank emitted the same bins; the population's count is the sum of theirs.
            let mut totals = vec![0u64; bins];
            for reader in &mut readers {
                if reader.u64().ok_or_else(corrupt)? != totals.len() as u64 {
                    return Err(DistError::Exchange(format!(
                        "recorder {}: ranks counted different numbers of bins",
                        rec.name
                    )));
                }
                for total in &mut totals {
                    *total += reader.u64().ok_or_else(corrupt)?;
                }
            }
            let seconds = rate.bin_steps as f64 * dt_ms / 1000.0;
            let first = rec.values.len().checked_sub(totals.len()).ok_or_else(|| {
                DistError::Exchange(format!("recorder {}: fewer rows than bins", rec.name))
            })?;
            for (value, &total) in rec.values[first..].iter_mut().zip(&totals) {
                *value = rate.rate_hz(total, seconds);
            }
            if let Some(counts) = &mut rate.bin_counts {
                counts.clear();
            }
        }
        for table in &mut recorders.tables {
            let owners = table_owners(&sim.world, table, self.ranks);
            let rows = table.times_ms.len();
            for reader in &mut readers {
                if reader.u64().ok_or_else(corrupt)? != rows as u64 {
                    return Err(DistError::Exchange(format!(
                        "weight table {}: ranks took different numbers of tables",
                        table.name
                    )));
                }
            }
            let n = table.pre.len();
            for row in table.values.chunks_exact_mut(n.max(1)) {
                for (w, &owner) in row.iter_mut().zip(&owners) {
                    *w = readers[owner].real().ok_or_else(corrupt)?;
                }
            }
        }
        *sim.world.resource_mut::<Recorders>() = recorders;
        if !self.totals {
            return Ok(());
        }
        for &e in &self.neuron_populations {
            let mut total = 0;
            for reader in &mut readers {
                total += reader.u64().ok_or_else(corrupt)?;
            }
            if let Some(mut count) = sim.world.get_mut::<SpikeCount>(e) {
                count.0 = total;
            }
        }
        for &e in &self.projections {
            if sim.owned_columns(e).is_some() {
                let mut total = 0;
                for reader in &mut readers {
                    total += reader.u64().ok_or_else(corrupt)?;
                }
                sim.set_total_synapses(e, total);
                continue;
            }
            let owners: Vec<usize> = self.synapse_owners(&sim.world, e).collect();
            if let Some(mut weights) = sim.world.get_mut::<Weights>(e) {
                for (w, owner) in weights.w.iter_mut().zip(owners) {
                    *w = readers[owner].real().ok_or_else(corrupt)?;
                }
            }
        }
        Ok(())
    }
}

/// The rank owning each weight of a weight table: its postsynaptic neuron's.
fn table_owners(world: &World, table: &WeightTableRecording, ranks: usize) -> Vec<usize> {
    let n_post = world
        .get::<Connectivity>(table.entity)
        .map_or(0, Connectivity::n_post);
    table
        .post
        .iter()
        .map(|&j| {
            let j = j as usize;
            if j < n_post {
                owner_of(j, n_post, ranks)
            } else {
                0
            }
        })
        .collect()
}

/// The rank owning a recorded column: the owner of the neuron (population variables, or
/// per-postsynaptic-neuron projection variables), of the synapse's postsynaptic neuron
/// (weights and per-synapse variables); rank 0 for anything else (per-presynaptic state, which
/// every rank computes identically from the same arrivals).
fn column_owner(
    world: &World,
    entity: Entity,
    variables: &[String],
    source: &Source,
    ranks: usize,
) -> usize {
    if let Some(p) = world.get::<Population>(entity) {
        return match source {
            Source::Variable { index, .. } if *index < p.size => owner_of(*index, p.size, ranks),
            _ => 0,
        };
    }
    let Some(connectivity) = world.get::<Connectivity>(entity) else {
        return 0;
    };
    let n_post = connectivity.n_post();
    let post = match *source {
        Source::Weight { synapse } => connectivity.post_of_synapse(synapse),
        Source::Variable {
            reader,
            variable,
            index,
        } => {
            let len = variables
                .get(variable)
                .and_then(|name| reader(world, entity, name))
                .map_or(0, <[Real]>::len);
            if len == connectivity.n_synapses() {
                connectivity.post_of_synapse(index)
            } else if len == n_post {
                Some(index)
            } else {
                None
            }
        }
    };
    post.filter(|&j| j < n_post)
        .map_or(0, |j| owner_of(j, n_post, ranks))
}

#[derive(Default)]
struct Bytes(Vec<u8>);

impl Bytes {
    fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn u32(&mut self, x: u32) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
    fn real(&mut self, x: Real) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }
}

struct Reader<'a>(&'a [u8], usize);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let bytes = self.0.get(self.1..self.1 + N)?;
        self.1 += N;
        bytes.try_into().ok()
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn real(&mut self) -> Option<Real> {
        self.take().map(Real::from_le_bytes)
    }
}
