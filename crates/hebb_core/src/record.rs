//! Recorders: spikes (sparse times per population, optionally of a view such as `exc[0:100]`
//! and within a time window), population rates (spike counts per bin), state variables (named
//! variables, an index subset or view, a stride) and weights (a subset of synapses, a stride).
//! Memory grows only with what is asked for.
//!
//! Any component can expose named arrays to recorders by implementing [`StateVariables`] and
//! being registered with [`crate::simulation::Simulation::register_variables`].

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::query::QueryState;
use bevy_ecs::resource::Resource;
use bevy_ecs::world::World;
use serde::{Deserialize, Serialize};

use crate::Real;
use crate::clock::Clock;
use crate::population::{SpikeCount, Spikes};
use crate::projection::Weights;

/// A component that exposes named state arrays (e.g. `v`, `u`, `x`, `trace_pre`).
pub trait StateVariables: Component<Mutability = bevy_ecs::component::Mutable> {
    /// The variable names this component can return.
    const VARIABLES: &'static [&'static str];
    /// The array of `name`, if this component has it.
    fn variable(&self, name: &str) -> Option<&[Real]>;
    /// The array of `name` to write (initial values, `Simulation::set_initial`), if this
    /// component lets it be set from outside. Default: none is settable.
    fn variable_mut(&mut self, _name: &str) -> Option<&mut [Real]> {
        None
    }
}

/// Writes a named variable of an entity with the given function; whether it was found.
pub type VariableWriter = fn(&mut World, Entity, &str, &mut dyn FnMut(&mut [Real])) -> bool;

/// Reads a named variable of an entity.
pub type VariableReader = for<'w> fn(&'w World, Entity, &str) -> Option<&'w [Real]>;

/// Registered readers, tried in order.
#[derive(Resource, Default, Clone)]
pub struct VariableReaders {
    readers: Vec<(VariableReader, &'static [&'static str])>,
    writers: Vec<VariableWriter>,
}

impl VariableReaders {
    /// Register component `T`.
    pub fn register<T: StateVariables>(&mut self) {
        fn read<'w, T: StateVariables>(
            world: &'w World,
            e: Entity,
            name: &str,
        ) -> Option<&'w [Real]> {
            world.get::<T>(e)?.variable(name)
        }
        fn write<T: StateVariables>(
            world: &mut World,
            e: Entity,
            name: &str,
            f: &mut dyn FnMut(&mut [Real]),
        ) -> bool {
            let Some(mut component) = world.get_mut::<T>(e) else {
                return false;
            };
            match component.variable_mut(name) {
                Some(values) => {
                    f(values);
                    true
                }
                None => false,
            }
        }
        let reader: VariableReader = read::<T>;
        if !self
            .readers
            .iter()
            .any(|(r, _)| std::ptr::fn_addr_eq(*r, reader))
        {
            self.readers.push((reader, T::VARIABLES));
            self.writers.push(write::<T>);
        }
    }

    /// Apply `f` to variable `name` of `entity` if a registered component lets it be set;
    /// whether one did.
    pub fn write(
        &self,
        world: &mut World,
        entity: Entity,
        name: &str,
        f: &mut dyn FnMut(&mut [Real]),
    ) -> bool {
        self.writers.iter().any(|w| w(world, entity, name, f))
    }

    /// The reader that has `name` on `entity`.
    pub fn find(&self, world: &World, entity: Entity, name: &str) -> Option<VariableReader> {
        self.readers
            .iter()
            .map(|(r, _)| *r)
            .find(|r| r(world, entity, name).is_some())
    }

    /// Names that `entity` exposes.
    pub fn available(&self, world: &World, entity: Entity) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (r, names) in &self.readers {
            for n in *names {
                if r(world, entity, n).is_some() && !out.contains(n) {
                    out.push(*n);
                }
            }
        }
        out
    }
}

/// What to record (scene syntax in parentheses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RecorderSpec {
    /// Every spike of a population or view, optionally within a time window
    /// (`Spikes(population: "exc")`,
    /// `Spikes(name: "exc_early", population: "exc[0:100]", from_ms: 0.0, to_ms: 500.0)`).
    Spikes {
        /// Population name or view ([`crate::view`]: `"exc[0:100]"`).
        population: String,
        /// Recorder name; its file is `spikes_<name>` (default: the population's name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Record spikes at `t >= from_ms` (default 0; a whole number of steps).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_ms: Option<f64>,
        /// Record spikes at `t < to_ms` (default: to the end; a whole number of steps).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_ms: Option<f64>,
    },
    /// The mean firing rate of a population or view in bins of `bin_ms`
    /// (`PopulationRate(name: "rate_exc", population: "exc", bin_ms: 1.0)`), like Brian2's
    /// `PopulationRateMonitor` (which is `bin_ms = dt`): one row per complete bin, at the bin's
    /// start time, `rate_hz = spikes in the bin / (neurons × bin_ms / 1000)`.
    PopulationRate {
        /// Recorder name (output file stem).
        name: String,
        /// Population name or view.
        population: String,
        /// Bin width in ms (a whole number of steps, >= 1 step).
        bin_ms: f64,
    },
    /// Named variables of a population or projection
    /// (`State(name: "v_exc", target: "exc", variables: ["v"], indices: Some([0, 1]), stride: 1)`).
    State {
        /// Recorder name (output file stem).
        name: String,
        /// Population or projection name.
        target: String,
        /// Variable names.
        variables: Vec<String>,
        /// Element indices (all when `None`).
        #[serde(default)]
        indices: Option<Vec<usize>>,
        /// Record every `stride` steps (≥ 1).
        #[serde(default = "one")]
        stride: u32,
    },
    /// Weights of a projection
    /// (`Weights(name: "w", projection: "in", synapses: Some([(0, 0)]), stride: 10)`).
    Weights {
        /// Recorder name (output file stem).
        name: String,
        /// Projection name.
        projection: String,
        /// `(pre, post)` pairs (all synapses when `None`).
        #[serde(default)]
        synapses: Option<Vec<(u32, u32)>>,
        /// Record every `stride` steps (≥ 1).
        #[serde(default = "one")]
        stride: u32,
    },
    /// Every weight of a projection as a sparse table, one `(t_ms, pre, post, w)` row per
    /// synapse, at chosen times and at the end of the run
    /// (`WeightTable(name: "w_ee", projection: "ee", at_ms: [1000.0])`).
    WeightTable {
        /// Recorder name (output file stem).
        name: String,
        /// Projection name.
        projection: String,
        /// Times (ms, whole steps) at which the table is taken, besides the end of the run.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        at_ms: Vec<f64>,
    },
}

fn one() -> u32 {
    1
}

impl RecorderSpec {
    /// Every spike of `population` (a name or view), for the whole run.
    pub fn spikes(population: impl Into<String>) -> Self {
        Self::Spikes {
            population: population.into(),
            name: None,
            from_ms: None,
            to_ms: None,
        }
    }
}

/// Spikes of one population, as parallel arrays of step index and neuron index.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeRecording {
    /// Recorder name (the population's name unless the scene names it); its file is
    /// `spikes_<name>`.
    pub name: String,
    /// Population name.
    pub population: String,
    /// Population entity.
    pub entity: Option<Entity>,
    /// Which neurons are recorded (by neuron index); `None` for all.
    pub selection: Option<Vec<bool>>,
    /// Steps `from..to` are recorded.
    pub steps_window: std::ops::Range<u64>,
    /// Step of each spike.
    pub steps: Vec<u64>,
    /// Neuron of each spike.
    pub neurons: Vec<u32>,
}

impl Default for SpikeRecording {
    fn default() -> Self {
        Self {
            name: String::new(),
            population: String::new(),
            entity: None,
            selection: None,
            steps_window: 0..u64::MAX,
            steps: Vec::new(),
            neurons: Vec::new(),
        }
    }
}

/// The running count of a population-rate recorder.
#[derive(Debug, Clone, PartialEq)]
pub struct RateBins {
    /// Which neurons count (by neuron index); `None` for all.
    pub selection: Option<Vec<bool>>,
    /// Number of neurons counted.
    pub neurons: usize,
    /// Bin width in steps.
    pub bin_steps: u64,
    /// Spikes counted in the current bin.
    pub count: u64,
    /// The count of every bin emitted since this was last emptied, kept only when `Some` (a run
    /// over several ranks counts each rank's own neurons and sums these counts on rank 0; the
    /// default is `None`).
    pub bin_counts: Option<Vec<u64>>,
}

impl RateBins {
    /// The rate of a bin of `seconds` in which the counted neurons spiked `count` times, in Hz.
    #[inline]
    pub fn rate_hz(&self, count: u64, seconds: f64) -> Real {
        (count as f64 / (self.neurons as f64 * seconds)) as Real
    }
}

/// Where one recorded column comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// Element `index` of a named variable.
    Variable {
        /// Reader resolved at build time.
        reader: VariableReader,
        /// Position of the variable name in the recorder's variable list.
        variable: usize,
        /// Element index.
        index: usize,
    },
    /// Weight of synapse `synapse`.
    Weight {
        /// Synapse index.
        synapse: usize,
    },
}

/// Rows of sampled values, one column per recorded element.
#[derive(Debug, Clone)]
pub struct StateRecording {
    /// Recorder name.
    pub name: String,
    /// Population or projection entity.
    pub entity: Entity,
    /// Column names (`v[3]`, `w[0,1]`).
    pub columns: Vec<String>,
    /// Variable names.
    pub variables: Vec<String>,
    /// Sources, one per column.
    pub sources: Vec<Source>,
    /// Record every `stride` steps.
    pub stride: u32,
    /// Time of each row in ms.
    pub times_ms: Vec<f64>,
    /// Row-major values (`times_ms.len() × columns.len()`).
    pub values: Vec<Real>,
    /// For a population-rate recorder: its bins (then `sources` is empty and the one column is
    /// `rate_hz`).
    pub rate: Option<RateBins>,
}

impl StateRecording {
    /// Row `r`.
    pub fn row(&self, r: usize) -> &[Real] {
        let n = self.columns.len();
        &self.values[r * n..(r + 1) * n]
    }

    /// The time series of column `name`.
    pub fn column(&self, name: &str) -> Option<Vec<Real>> {
        let c = self.columns.iter().position(|n| n == name)?;
        let n = self.columns.len();
        Some(self.values.iter().skip(c).step_by(n).copied().collect())
    }
}

/// Every weight of a projection as `(t_ms, pre, post, w)` rows, taken at chosen steps and when
/// [`crate::simulation::Simulation::record_weight_tables`] is called (the `hebb` command calls
/// it at the end of every run).
#[derive(Debug, Clone)]
pub struct WeightTableRecording {
    /// Recorder name.
    pub name: String,
    /// Projection entity.
    pub entity: Entity,
    /// Presynaptic neuron of each synapse (synapse order).
    pub pre: Vec<u32>,
    /// Postsynaptic neuron of each synapse.
    pub post: Vec<u32>,
    /// Steps after which the table is taken (sorted).
    pub at_steps: Vec<u64>,
    /// Time of each buffered table, ms.
    pub times_ms: Vec<f64>,
    /// Buffered tables, `times_ms.len() × pre.len()` weights.
    pub values: Vec<Real>,
    /// The step of the last table taken (a table is taken once per step).
    pub last_step: Option<u64>,
}

impl WeightTableRecording {
    /// Take the table of the state after step `step` from `world`; returns the values added.
    pub fn take(&mut self, world: &World, step: u64, dt_ms: f64) -> usize {
        if self.last_step == Some(step) {
            return 0;
        }
        self.last_step = Some(step);
        self.times_ms.push(step as f64 * dt_ms);
        match world.get::<Weights>(self.entity) {
            Some(w) if w.w.len() == self.pre.len() => self.values.extend_from_slice(&w.w),
            _ => self
                .values
                .extend(std::iter::repeat_n(Real::NAN, self.pre.len())),
        }
        self.pre.len()
    }
}

/// Receives recorded data while a run goes, so that memory stays bounded (e.g. CSV or NPY
/// writers). Recorders hand over their buffered data whenever it exceeds
/// [`Recorders::flush_threshold`] values and on [`crate::simulation::Simulation::flush_recorders`].
pub trait RecordingSink: Send + Sync + 'static {
    /// Spikes of spike recorder `recorder` (steps and neurons, parallel).
    fn write_spikes(
        &mut self,
        recorder: &SpikeRecording,
        dt_ms: f64,
        steps: &[u64],
        neurons: &[u32],
    ) -> std::io::Result<()>;
    /// Rows of state recorder `recorder` (`times.len()` rows of `recorder.columns.len()` values).
    fn write_rows(
        &mut self,
        recorder: &StateRecording,
        times_ms: &[f64],
        values: &[Real],
    ) -> std::io::Result<()>;
    /// Make everything written so far durable and readable (flush files, fix headers).
    fn flush(&mut self) -> std::io::Result<()>;
    /// Tables of weight-table recorder `recorder` (`times.len()` tables of
    /// `recorder.pre.len()` weights). Sinks that predate weight tables refuse them.
    fn write_table(
        &mut self,
        recorder: &WeightTableRecording,
        times_ms: &[f64],
        values: &[Real],
    ) -> std::io::Result<()> {
        let _ = (times_ms, values);
        Err(std::io::Error::other(format!(
            "this recording sink does not write weight tables (recorder `{}`)",
            recorder.name
        )))
    }
}

/// A shared handle on a sink.
pub type SharedSink = std::sync::Arc<std::sync::Mutex<dyn RecordingSink>>;

/// How much each recorder has handed to the sink so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinkPositions {
    /// Spikes written, per spike recorder.
    pub spikes: Vec<u64>,
    /// Rows written, per state recorder.
    pub rows: Vec<u64>,
}

/// The strides of the state recorders that sample an entity (a population or a projection),
/// kept on the entity by [`crate::simulation::Simulation`] as it adds state recorders. Systems
/// that fill recorder views only on the steps a recorder samples (plasticity rules' traces)
/// read it from their own query instead of fetching the [`Recorders`] resource every step.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedEvery {
    strides: Vec<u32>,
}

impl RecordedEvery {
    /// One more state recorder samples the entity every `stride` steps.
    pub fn add(&mut self, stride: u32) {
        self.strides.push(stride);
    }

    /// Whether a state recorder samples the entity after `step`.
    #[inline]
    pub fn at(&self, step: u64) -> bool {
        self.strides
            .iter()
            .any(|&stride| step.is_multiple_of(u64::from(stride)))
    }
}

/// All recorders of a simulation.
#[derive(Resource, Default, Clone)]
pub struct Recorders {
    /// Spike recorders.
    pub spikes: Vec<SpikeRecording>,
    /// State and weight recorders.
    pub states: Vec<StateRecording>,
    /// Weight-table recorders.
    pub tables: Vec<WeightTableRecording>,
    /// Where data goes while running; `None` keeps everything in memory.
    pub sink: Option<SharedSink>,
    /// Buffered values (spikes count 2, each recorded value 1) above which data is handed to
    /// the sink.
    pub flush_threshold: usize,
    /// How much has been handed to the sink.
    pub positions: SinkPositions,
    /// The first error the sink reported (recording continues in memory-free mode: data is
    /// dropped after an error, which callers must check with [`Recorders::error`]).
    pub error: Option<String>,
    buffered: usize,
}

impl std::fmt::Debug for Recorders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorders")
            .field("spikes", &self.spikes)
            .field("states", &self.states)
            .field("tables", &self.tables)
            .field("sink", &self.sink.is_some())
            .field("positions", &self.positions)
            .field("error", &self.error)
            .finish()
    }
}

impl Recorders {
    /// Send data to `sink` from now on, flushing whenever `threshold` values are buffered.
    pub fn set_sink(&mut self, sink: SharedSink, threshold: usize) {
        self.sink = Some(sink);
        self.flush_threshold = threshold.max(1);
        self.positions.spikes.resize(self.spikes.len(), 0);
        self.positions.rows.resize(self.states.len(), 0);
    }

    /// The sink's first error, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Hand all buffered data to the sink and flush it. Without a sink, nothing happens.
    pub fn flush(&mut self, dt_ms: f64) {
        let Some(sink) = self.sink.clone() else {
            return;
        };
        let mut sink = match sink.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        self.positions.spikes.resize(self.spikes.len(), 0);
        self.positions.rows.resize(self.states.len(), 0);
        let mut result = Ok(());
        for (k, rec) in self.spikes.iter_mut().enumerate() {
            if result.is_ok() && !rec.steps.is_empty() {
                result = sink.write_spikes(rec, dt_ms, &rec.steps, &rec.neurons);
            }
            self.positions.spikes[k] += rec.steps.len() as u64;
            rec.steps.clear();
            rec.neurons.clear();
        }
        for (k, rec) in self.states.iter_mut().enumerate() {
            if result.is_ok() && !rec.times_ms.is_empty() {
                result = sink.write_rows(rec, &rec.times_ms, &rec.values);
            }
            self.positions.rows[k] += rec.times_ms.len() as u64;
            rec.times_ms.clear();
            rec.values.clear();
        }
        for rec in &mut self.tables {
            if result.is_ok() && !rec.times_ms.is_empty() {
                result = sink.write_table(rec, &rec.times_ms, &rec.values);
            }
            rec.times_ms.clear();
            rec.values.clear();
        }
        // Flush even after an error: that is where sinks make every file consistent (e.g.
        // rewrite NPY headers to the rows on disk).
        let flushed = sink.flush();
        if result.is_ok() {
            result = flushed;
        }
        if let Err(e) = result
            && self.error.is_none()
        {
            self.error = Some(e.to_string());
        }
        self.buffered = 0;
    }

    /// The spike recording named `name` (by default a spike recorder is named after its
    /// population).
    pub fn spikes_of(&self, name: &str) -> Option<&SpikeRecording> {
        self.spikes.iter().find(|s| s.name == name)
    }

    /// The state (or weight) recording named `name`.
    pub fn state(&self, name: &str) -> Option<&StateRecording> {
        self.states.iter().find(|s| s.name == name)
    }
}

/// What [`record`] counts: every population's spikes into its running [`SpikeCount`].
pub(crate) type SpikeCounts = QueryState<(&'static Spikes, &'static mut SpikeCount)>;

/// Core system in [`crate::stage::Stage::Record`]: add this step's spikes to every population's
/// [`SpikeCount`], then sample every recorder. One system for both, since each system in the
/// schedule costs a fixed amount of framework work per step (about a hundred instructions)
/// whatever it does.
pub(crate) fn record(world: &mut World, counts: &mut SpikeCounts, clock: Clock) {
    for (spikes, mut count) in counts.iter_mut(world) {
        if spikes.count() > 0 {
            count.0 += spikes.count() as u64;
        }
    }
    let recorders = world.resource::<Recorders>();
    if !recorders.samples_at(world, clock.step) {
        return;
    }
    // Move the recorders out for the step instead of `resource_scope`, which removes and
    // re-inserts the resource (an entity in bevy 0.20): that costs more than the sampling.
    let mut recorders = std::mem::take(&mut *world.resource_mut::<Recorders>());
    sample(world, &mut recorders, clock);
    *world.resource_mut::<Recorders>() = recorders;
}

impl Recorders {
    /// Whether [`sample`] may record anything this step: a spike recorder whose population
    /// spiked, a state recorder due at this step, or a rate recorder (it counts every step).
    /// Most steps of a small network record
    /// nothing, and taking the recorders out and back costs more than the check. Keep this in
    /// step with [`sample`] (a recorder kind it samples must make this true when it has work).
    fn samples_at(&self, world: &World, step: u64) -> bool {
        if self
            .tables
            .iter()
            .any(|t| t.at_steps.binary_search(&step).is_ok())
        {
            return true;
        }
        if self.spikes.is_empty() && self.states.is_empty() {
            return false;
        }
        if self.spikes.iter().any(|rec| {
            rec.entity
                .and_then(|e| world.get::<Spikes>(e))
                .is_some_and(|spikes| spikes.count() > 0)
        }) {
            return true;
        }
        self.states
            .iter()
            .any(|rec| rec.rate.is_some() || step.is_multiple_of(u64::from(rec.stride)))
    }
}

/// Sample every recorder once (the step's values), flushing to the sink when due. What it
/// samples, [`Recorders::samples_at`] must know about.
fn sample(world: &World, recorders: &mut Recorders, clock: Clock) {
    {
        let mut buffered = 0;
        for rec in &mut recorders.spikes {
            if !rec.steps_window.contains(&clock.step) {
                continue;
            }
            if let Some(spikes) = rec.entity.and_then(|e| world.get::<Spikes>(e)) {
                let before = rec.steps.len();
                match &rec.selection {
                    None => {
                        for &i in spikes.indices() {
                            rec.steps.push(clock.step);
                            rec.neurons.push(i);
                        }
                    }
                    Some(selected) => {
                        for &i in spikes.indices() {
                            if selected.get(i as usize).copied().unwrap_or(false) {
                                rec.steps.push(clock.step);
                                rec.neurons.push(i);
                            }
                        }
                    }
                }
                buffered += 2 * (rec.steps.len() - before);
            }
        }
        for rec in &mut recorders.states {
            if let Some(rate) = &mut rec.rate {
                if let Some(spikes) = world.get::<Spikes>(rec.entity) {
                    rate.count += match &rate.selection {
                        None => spikes.count() as u64,
                        Some(selected) => spikes
                            .indices()
                            .iter()
                            .filter(|&&i| selected.get(i as usize).copied().unwrap_or(false))
                            .count() as u64,
                    };
                }
                if (clock.step + 1).is_multiple_of(rate.bin_steps) {
                    let start = clock.step + 1 - rate.bin_steps;
                    let seconds = rate.bin_steps as f64 * clock.dt_ms / 1000.0;
                    rec.times_ms.push(start as f64 * clock.dt_ms);
                    rec.values.push(rate.rate_hz(rate.count, seconds));
                    if let Some(counts) = &mut rate.bin_counts {
                        counts.push(rate.count);
                    }
                    rate.count = 0;
                    buffered += 1;
                }
                continue;
            }
            if !clock.step.is_multiple_of(u64::from(rec.stride)) {
                continue;
            }
            rec.times_ms.push(clock.time_ms());
            let mut cached: Option<(usize, &[Real])> = None;
            for source in &rec.sources {
                let value = match *source {
                    Source::Variable {
                        reader,
                        variable,
                        index,
                    } => {
                        let slice = match cached {
                            Some((v, s)) if v == variable => s,
                            _ => {
                                let s = reader(world, rec.entity, &rec.variables[variable])
                                    .unwrap_or(&[]);
                                cached = Some((variable, s));
                                s
                            }
                        };
                        slice.get(index).copied().unwrap_or(Real::NAN)
                    }
                    Source::Weight { synapse } => world
                        .get::<Weights>(rec.entity)
                        .and_then(|w| w.w.get(synapse).copied())
                        .unwrap_or(Real::NAN),
                };
                rec.values.push(value);
            }
            buffered += rec.sources.len();
        }
        for rec in &mut recorders.tables {
            if rec.at_steps.binary_search(&clock.step).is_ok() {
                buffered += rec.take(world, clock.step, clock.dt_ms);
            }
        }
        recorders.buffered += buffered;
        if recorders.sink.is_some() && recorders.buffered >= recorders.flush_threshold {
            recorders.flush(clock.dt_ms);
        }
    }
}
