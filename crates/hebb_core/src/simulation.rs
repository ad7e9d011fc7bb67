//! [`Simulation`]: a bevy_ecs `World` plus one per-step schedule built from the [`Stage`]s.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use bevy_ecs::entity::Entity;
use bevy_ecs::error::BevyError;
use bevy_ecs::error::ErrorContext;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{
    ApplyDeferred, FixedBitSet, IntoScheduleConfigs, LogLevel, ScheduleBuildSettings,
    ScheduleLabel, SingleThreadedExecutor, SystemExecutor, SystemSchedule, SystemSet,
    SystemWithAccess,
};
use bevy_ecs::system::{RunSystemError, ScheduleSystem, System};

use crate::clock::{Clock, SharedClock, steps_on_grid};
use crate::connectivity::{Connectivity, ConnectivitySpec, WeightInit};
use crate::error::BuildError;
use crate::parallel::{Executor, ThreadsError};
use crate::plugin::{Plugin, PluginGroup};
use crate::population::{ImposedSpikes, Membrane, Population, SpikeCount, Spikes, SynapticInput};
use crate::projection::{Arrivals, DelayLine, Projection, Weights, deliver_spikes};
use crate::record::{
    RecorderSpec, Recorders, Source, SpikeRecording, StateRecording, StateVariables,
    VariableReaders, record,
};
use crate::registry::{AttachContext, Model, ModelEntry, ModelKind, ModelParams, Registry, Target};
use crate::rng::SimRng;
use crate::stage::{CoreSet, Stage};

/// The longest delay a projection may have, in steps (its ring buffer holds one spike list per
/// step of delay).
pub const MAX_DELAY_STEPS: u64 = 1 << 20;

/// The largest population (neuron indices are 32-bit; state arrays must fit in memory).
pub const MAX_POPULATION_SIZE: usize = 100_000_000;

/// Present once the input-current capture is scheduled (see `Simulation::capture_input_current`).
#[derive(Resource)]
struct CapturingInput;

/// The label of the per-step schedule.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tick;

/// Ordering slot inside a stage: every `add_systems` call gets the next slot, so systems run in
/// the order they were added.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Slot(Stage, u32);

/// Names of the network's populations and projections.
#[derive(Resource, Debug, Default, Clone)]
pub struct NetworkIndex {
    /// Population name → entity, in creation order.
    pub populations: Vec<(String, Entity)>,
    /// Projection name → entity, in creation order.
    pub projections: Vec<(String, Entity)>,
    /// Stimulus entities.
    pub stimuli: Vec<Entity>,
    /// Network-wide model entities (reward sources) by name.
    pub network_models: Vec<(String, Entity)>,
    /// Registered names and kinds of the models attached so far.
    pub models_in_use: Vec<(&'static str, ModelKind)>,
}

impl NetworkIndex {
    /// The population named `name`.
    pub fn population(&self, name: &str) -> Option<Entity> {
        self.populations
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| *e)
    }

    /// The projection named `name`.
    pub fn projection(&self, name: &str) -> Option<Entity> {
        self.projections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| *e)
    }

    pub(crate) fn population_or_err(&self, name: &str) -> Result<Entity, BuildError> {
        self.population(name)
            .ok_or_else(|| BuildError::UnknownName {
                kind: "population",
                name: name.to_owned(),
                known: self
                    .populations
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn projection_or_err(&self, name: &str) -> Result<Entity, BuildError> {
        self.projection(name)
            .ok_or_else(|| BuildError::UnknownName {
                kind: "projection",
                name: name.to_owned(),
                known: self
                    .projections
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// A population to create.
#[derive(Debug, Clone)]
pub struct PopulationSpec {
    /// Unique name.
    pub name: String,
    /// Number of neurons (≥ 1).
    pub size: usize,
    /// Neuron or input model params.
    pub model: Box<dyn ModelParams>,
}

/// How a projection stores its synapses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Storage {
    /// Dense for `AllToAll`, CSR otherwise.
    #[default]
    Auto,
    /// Always CSR.
    Sparse,
}

/// A projection to create.
#[derive(Debug, Clone)]
pub struct ProjectionSpec {
    /// Unique name.
    pub name: String,
    /// Presynaptic population name.
    pub pre: String,
    /// Postsynaptic population name.
    pub post: String,
    /// How synapses are chosen.
    pub connectivity: ConnectivitySpec,
    /// Initial weights.
    pub weights: WeightInit,
    /// Synapse output model (Delta, Exponential, Conductance, …).
    pub synapse: Box<dyn ModelParams>,
    /// Delay in ms (a whole number of steps, ≥ 0).
    pub delay_ms: f64,
    /// Per-synapse delays instead of `delay_ms` (which must then be 0): see
    /// [`crate::delays`]. Not with short-term or long-term plasticity.
    pub synapse_delays: Option<crate::delays::DelayInit>,
    /// Optional short-term plasticity.
    pub stp: Option<Box<dyn ModelParams>>,
    /// Optional long-term plasticity rule.
    pub plasticity: Option<Box<dyn ModelParams>>,
    /// Storage choice.
    pub storage: Storage,
}

impl ProjectionSpec {
    /// A projection with no delay, no plasticity and automatic storage.
    pub fn new(
        name: impl Into<String>,
        pre: impl Into<String>,
        post: impl Into<String>,
        connectivity: ConnectivitySpec,
        weights: WeightInit,
        synapse: impl ModelParams,
    ) -> Self {
        Self {
            name: name.into(),
            pre: pre.into(),
            post: post.into(),
            connectivity,
            weights,
            synapse: Box::new(synapse),
            delay_ms: 0.0,
            synapse_delays: None,
            stp: None,
            plasticity: None,
            storage: Storage::Auto,
        }
    }
}

/// A network in a World, stepped by one schedule.
pub struct Simulation {
    /// The ECS world holding every population, projection and resource.
    pub world: World,
    schedule: Schedule,
    slots: [u32; 7],
    plugins: Vec<String>,
    initialized: bool,
    /// Systems waiting for the first use of one of their models.
    deferred: Vec<DeferredSystems>,
    /// A distributed rank's share of the synapses (kept out of the World: see
    /// [`crate::share`]).
    share: Option<crate::share::SynapseShare>,
    /// The World's [`SharedClock`] (the same handle as the resource), advanced after each step
    /// without a resource lookup.
    clock: SharedClock,
}

/// Systems that join the schedule only once one of `models` is attached somewhere, so a
/// simulation pays per step only for the models it uses.
struct DeferredSystems {
    models: Vec<&'static str>,
    kinds: Vec<ModelKind>,
    configs: Option<bevy_ecs::schedule::ScheduleConfigs<ScheduleSystem>>,
}

impl Simulation {
    /// An empty simulation with time step `dt_ms` and master seed `seed`, with the core
    /// systems (spike delivery, spike counting, recorders) in place.
    pub fn new(dt_ms: f64, seed: u64) -> Result<Self, BuildError> {
        crate::params::check::positive("dt_ms", dt_ms)
            .map_err(|e| BuildError::param("simulation", e))?;
        let mut world = World::new();
        let clock = SharedClock::new(Clock::new(dt_ms));
        world.insert_resource(clock.clone());
        world.insert_resource(SimRng { seed });
        world.init_resource::<Executor>();
        world.init_resource::<crate::parallel::SharedExecutor>();
        world.init_resource::<Registry>();
        world.init_resource::<VariableReaders>();
        world.init_resource::<Recorders>();
        world.init_resource::<NetworkIndex>();
        world.init_resource::<crate::snapshot::SnapshotRegistry>();
        let mut schedule = Schedule::new(Tick);
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.set_build_settings(ScheduleBuildSettings {
            ambiguity_detection: LogLevel::Error,
            ..Default::default()
        });
        schedule.configure_sets(
            (
                Stage::InputSpikes,
                CoreSet::Deliver,
                Stage::SynapticStp,
                Stage::CurrentIntegration,
                CoreSet::CaptureInput,
                Stage::NeuronStep,
                CoreSet::KeepOwned,
                Stage::Plasticity,
                Stage::RewardBroadcast,
                Stage::Record,
            )
                .chain(),
        );
        schedule.add_systems(deliver_spikes.in_set(CoreSet::Deliver));
        let mut sim = Self {
            world,
            schedule,
            slots: [0; 7],
            plugins: Vec::new(),
            initialized: false,
            deferred: Vec::new(),
            share: None,
            clock,
        };
        sim.register_variables::<Membrane>();
        sim.register_variables::<crate::population::InputCurrent>();
        sim.register_snapshot::<Spikes>()
            .register_snapshot::<SynapticInput>()
            .register_snapshot::<Membrane>()
            .register_snapshot::<SpikeCount>()
            .register_snapshot::<ImposedSpikes>()
            .register_snapshot::<Weights>()
            .register_snapshot::<Arrivals>()
            .register_snapshot::<DelayLine>()
            .register_snapshot_checked::<crate::delays::SynapseQueue>()
            .register_snapshot::<crate::projection::TransmissionScale>();
        sim.add_systems(Stage::Record, record);
        Ok(sim)
    }

    // ----- building -------------------------------------------------------------------------

    /// Add a plugin, a tuple of plugins, or a plugin group.
    pub fn add_plugins(&mut self, plugins: impl PluginGroup) -> &mut Self {
        plugins.add_to(self);
        self
    }

    /// Add one plugin (unique by name: adding the same plugin twice is a no-op).
    pub fn add_plugin(&mut self, plugin: impl Plugin) -> &mut Self {
        self.add_plugin_ref(&plugin)
    }

    /// Add one plugin by reference, so that one plugin value can configure many simulations
    /// (see [`PluginSet`](crate::plugin::PluginSet)); unique by name like
    /// [`Simulation::add_plugin`].
    pub fn add_plugin_ref<P: Plugin + ?Sized>(&mut self, plugin: &P) -> &mut Self {
        let name = plugin.name().to_owned();
        if !self.plugins.contains(&name) {
            self.plugins.push(name);
            plugin.build(self);
        }
        self
    }

    /// Names of the plugins added so far.
    pub fn plugin_names(&self) -> &[String] {
        &self.plugins
    }

    /// Place systems in `stage`. Systems run in the order they were added, within a stage and
    /// across calls, so the schedule is deterministic; one call's systems are chained.
    pub fn add_systems<M>(
        &mut self,
        stage: Stage,
        systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
    ) -> &mut Self {
        let k = stage as usize;
        let slot = Slot(stage, self.slots[k]);
        self.slots[k] += 1;
        self.schedule.configure_sets(slot.in_set(stage));
        if slot.1 > 0 {
            self.schedule
                .configure_sets(slot.after(Slot(stage, slot.1 - 1)));
        }
        self.schedule.add_systems(systems.chain().in_set(slot));
        self.initialized = false;
        self
    }

    /// Place systems in `stage` that only run in simulations that use one of `models`
    /// (registered names): they join the schedule when the first population, projection,
    /// stimulus or network model of one of these models is created. Their place in the run
    /// order is reserved now, so the order is the same as with [`Simulation::add_systems`].
    ///
    /// Model plugins should use this (or [`Simulation::add_model_systems`]): every system in the
    /// schedule costs a few tens of nanoseconds per step even when it has nothing to do.
    pub fn add_systems_for<M>(
        &mut self,
        models: &[&'static str],
        stage: Stage,
        systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
    ) -> &mut Self {
        self.defer_systems(models, &[], stage, systems)
    }

    /// Place systems in `stage` that only run in simulations that use some model of one of
    /// `kinds` (e.g. the one weight-update system serves every plasticity rule, third-party
    /// rules included). See [`Simulation::add_systems_for`].
    pub fn add_systems_for_kinds<M>(
        &mut self,
        kinds: &[ModelKind],
        stage: Stage,
        systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
    ) -> &mut Self {
        self.defer_systems(&[], kinds, stage, systems)
    }

    fn defer_systems<M>(
        &mut self,
        models: &[&'static str],
        kinds: &[ModelKind],
        stage: Stage,
        systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
    ) -> &mut Self {
        let k = stage as usize;
        let slot = Slot(stage, self.slots[k]);
        self.slots[k] += 1;
        self.schedule.configure_sets(slot.in_set(stage));
        if slot.1 > 0 {
            self.schedule
                .configure_sets(slot.after(Slot(stage, slot.1 - 1)));
        }
        let configs = systems.into_configs().chain().in_set(slot);
        let used = {
            let index = self.world.resource::<NetworkIndex>();
            index
                .models_in_use
                .iter()
                .any(|(name, kind)| models.contains(name) || kinds.contains(kind))
        };
        if used {
            self.schedule.add_systems(configs);
            self.initialized = false;
        } else {
            self.deferred.push(DeferredSystems {
                models: models.to_vec(),
                kinds: kinds.to_vec(),
                configs: Some(configs),
            });
        }
        self
    }

    /// [`Simulation::add_systems_for`] with the one model `T`.
    pub fn add_model_systems<T: Model, M>(
        &mut self,
        stage: Stage,
        systems: impl IntoScheduleConfigs<ScheduleSystem, M>,
    ) -> &mut Self {
        self.add_systems_for(&[T::NAME], stage, systems)
    }

    /// Install the deferred systems of `model` (first use), and those of its `kind` unless
    /// `kind_systems` is false ([`AttachContext::without_kind_systems`]).
    fn model_in_use(&mut self, model: &'static str, kind: ModelKind, kind_systems: bool) {
        let mut index = self.world.resource_mut::<NetworkIndex>();
        if !index.models_in_use.iter().any(|(name, _)| *name == model) {
            index.models_in_use.push((model, kind));
        }
        for deferred in &mut self.deferred {
            if (deferred.models.contains(&model)
                || (kind_systems && deferred.kinds.contains(&kind)))
                && let Some(configs) = deferred.configs.take()
            {
                self.schedule.add_systems(configs);
                self.initialized = false;
            }
        }
    }

    /// Insert (or replace) a resource.
    pub fn insert_resource<R: Resource>(&mut self, resource: R) -> &mut Self {
        self.world.insert_resource(resource);
        self
    }

    /// Register a model's params type so scenes can use it by name.
    pub fn register_model<T: Model>(&mut self) -> &mut Self {
        if let Err(e) = self
            .world
            .resource_mut::<Registry>()
            .register(ModelEntry::of::<T>())
        {
            panic!("{e}");
        }
        self
    }

    /// Let recorders read `T`'s named variables.
    pub fn register_variables<T: StateVariables>(&mut self) -> &mut Self {
        self.world.resource_mut::<VariableReaders>().register::<T>();
        self
    }

    /// The model registry.
    pub fn registry(&self) -> &Registry {
        self.world.resource::<Registry>()
    }

    /// The network's names.
    pub fn index(&self) -> &NetworkIndex {
        self.world.resource::<NetworkIndex>()
    }

    /// The clock.
    pub fn clock(&self) -> Clock {
        self.clock.get()
    }

    /// Time step in ms.
    pub fn dt_ms(&self) -> f64 {
        self.clock().dt_ms
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.world.resource::<SimRng>().seed
    }

    fn check_model(
        &self,
        owner: &str,
        model: &dyn ModelParams,
        kinds: &[ModelKind],
    ) -> Result<(), BuildError> {
        self.registry().lookup(model.model_name(), kinds)?;
        model.validate().map_err(|e| BuildError::param(owner, e))
    }

    fn attach(
        &mut self,
        entity: Entity,
        name: &str,
        target: Target,
        model: &dyn ModelParams,
    ) -> Result<(), BuildError> {
        let dt_ms = self.dt_ms();
        let mut ctx = AttachContext {
            world: &mut self.world,
            entity,
            name: name.to_owned(),
            dt_ms,
            target,
            system_tags: Vec::new(),
            kind_systems: true,
        };
        model.attach(&mut ctx)?;
        let (tags, kind_systems) = (std::mem::take(&mut ctx.system_tags), ctx.kind_systems);
        self.model_in_use(model.model_name(), model.kind(), kind_systems);
        for tag in tags {
            self.model_in_use(tag, model.kind(), false);
        }
        Ok(())
    }

    /// Create a population entity with its model's components.
    pub fn add_population(&mut self, spec: PopulationSpec) -> Result<Entity, BuildError> {
        let owner = format!("population `{}`", spec.name);
        if spec.name.is_empty() {
            return Err(BuildError::Invalid(
                "a population needs a non-empty name".into(),
            ));
        }
        if self.index().population(&spec.name).is_some() {
            return Err(BuildError::Duplicate {
                kind: "population",
                name: spec.name,
            });
        }
        if spec.size == 0 || spec.size > MAX_POPULATION_SIZE {
            return Err(BuildError::Invalid(format!(
                "{owner}: size must be in [1, {MAX_POPULATION_SIZE}], got {}",
                spec.size
            )));
        }
        self.check_model(
            &owner,
            spec.model.as_ref(),
            &[ModelKind::Neuron, ModelKind::Input],
        )?;
        let entity = self
            .world
            .spawn((
                Population {
                    name: spec.name.clone(),
                    size: spec.size,
                    model: spec.model.model_name().to_owned(),
                    is_input: spec.model.kind() == ModelKind::Input,
                },
                Spikes::new(spec.size),
                SynapticInput::new(spec.size),
                SpikeCount::default(),
                ImposedSpikes::default(),
            ))
            .id();
        if spec.model.kind() == ModelKind::Neuron {
            self.world
                .entity_mut(entity)
                .insert(crate::population::InputCurrent::default());
        }
        self.attach(
            entity,
            &spec.name,
            Target::Population { size: spec.size },
            spec.model.as_ref(),
        )?;
        self.world
            .resource_mut::<NetworkIndex>()
            .populations
            .push((spec.name, entity));
        Ok(entity)
    }

    /// Attach a stimulus (e.g. a step current) to a population.
    pub fn add_stimulus(
        &mut self,
        population: &str,
        model: &dyn ModelParams,
    ) -> Result<Entity, BuildError> {
        let pop = self.index().population_or_err(population)?;
        let n = self.index().stimuli.len();
        let name = format!("{population}.stimulus{n}");
        self.check_model(
            &format!("stimulus on `{population}`"),
            model,
            &[ModelKind::Stimulus],
        )?;
        let size = self.world.get::<Population>(pop).map_or(0, |p| p.size);
        let entity = self.world.spawn(crate::population::StimulusOf(pop)).id();
        self.attach(
            entity,
            &name,
            Target::Stimulus {
                population: pop,
                size,
            },
            model,
        )?;
        self.world
            .resource_mut::<NetworkIndex>()
            .stimuli
            .push(entity);
        Ok(entity)
    }

    /// Attach a network-wide model (e.g. a reward source).
    pub fn add_network_model(
        &mut self,
        name: &str,
        model: &dyn ModelParams,
    ) -> Result<Entity, BuildError> {
        self.check_model(name, model, &[ModelKind::Reward])?;
        let entity = self.world.spawn_empty().id();
        self.attach(entity, name, Target::Network, model)?;
        self.world
            .resource_mut::<NetworkIndex>()
            .network_models
            .push((name.to_owned(), entity));
        Ok(entity)
    }

    /// Create a projection entity: connectivity, weights, delay line, synapse output and the
    /// optional plasticity models.
    pub fn add_projection(&mut self, spec: ProjectionSpec) -> Result<Entity, BuildError> {
        let owner = format!("projection `{}`", spec.name);
        if spec.name.is_empty() {
            return Err(BuildError::Invalid(
                "a projection needs a non-empty name".into(),
            ));
        }
        if self.index().projection(&spec.name).is_some() {
            return Err(BuildError::Duplicate {
                kind: "projection",
                name: spec.name,
            });
        }
        let pre = self.index().population_or_err(&spec.pre)?;
        let post = self.index().population_or_err(&spec.post)?;
        self.check_model(&owner, spec.synapse.as_ref(), &[ModelKind::Synapse])?;
        if let Some(stp) = &spec.stp {
            self.check_model(&owner, stp.as_ref(), &[ModelKind::ShortTermPlasticity])?;
        }
        if let Some(rule) = &spec.plasticity {
            self.check_model(&owner, rule.as_ref(), &[ModelKind::Plasticity])?;
        }
        let dt = self.dt_ms();
        let delay_steps = steps_on_grid(spec.delay_ms, dt).ok_or_else(|| {
            BuildError::param(
                &owner,
                crate::error::ParamError::new(
                    "delay_ms",
                    format!(
                        "must be >= 0 and a whole number of time steps (dt = {dt} ms), got {}",
                        spec.delay_ms
                    ),
                ),
            )
        })?;
        if delay_steps > MAX_DELAY_STEPS {
            return Err(BuildError::param(
                &owner,
                crate::error::ParamError::new(
                    "delay_ms",
                    format!(
                        "must be at most {} ms ({MAX_DELAY_STEPS} steps of {dt} ms), got {}",
                        MAX_DELAY_STEPS as f64 * dt,
                        spec.delay_ms
                    ),
                ),
            ));
        }
        let mut delay_steps = delay_steps as u32;
        let n_pre = self.world.get::<Population>(pre).map_or(0, |p| p.size);
        let n_post = self.world.get::<Population>(post).map_or(0, |p| p.size);
        let master = *self.world.resource::<SimRng>();
        let connectivity_streams = master.streams(&spec.name, "connectivity");
        let weight_streams = master.streams(&spec.name, "weights");
        // Drawn column by column straight into rows (8 bytes per synapse at the peak) when the
        // rules allow; only this rank's columns for a static projection of a distributed run.
        let share = self
            .share
            .as_ref()
            .filter(|share| {
                share.ranks > 1
                    && spec.synapse_delays.is_none()
                    && spec.stp.is_none()
                    && spec.plasticity.is_none()
                    && !share.keep_whole.contains(&spec.name)
            })
            .map(|share| share.columns(n_post));
        // Per-synapse delays are drawn from the whole connectivity (built the usual way).
        let by_column =
            spec.synapse_delays.is_none() && spec.connectivity.builds_by_column(&spec.weights);
        let mut synapse_delays = None;
        let (connectivity, w) = if by_column {
            spec.connectivity
                .build_columns(
                    n_pre,
                    n_post,
                    pre == post,
                    &connectivity_streams,
                    &spec.weights,
                    &weight_streams,
                    share.clone().unwrap_or(0..n_post),
                )
                .map_err(|e| BuildError::param(&owner, e))?
        } else {
            let mut built = spec
                .connectivity
                .build(n_pre, n_post, pre == post, &connectivity_streams)
                .map_err(|e| BuildError::param(&owner, e))?;
            let w = spec
                .weights
                .generate(&built, &weight_streams)
                .map_err(|e| BuildError::param(&owner, e))?;
            synapse_delays = match &spec.synapse_delays {
                None => None,
                Some(init) => {
                    let field = crate::delays::FIELD;
                    if delay_steps != 0 {
                        return Err(BuildError::param(
                            &owner,
                            crate::error::ParamError::new(
                                "delay_ms",
                                format!(
                                    "give either delay_ms (one delay) or {field} (per synapse), not both"
                                ),
                            ),
                        ));
                    }
                    let steps = init
                        .generate(&built, &master.streams(&spec.name, "delays"), dt)
                        .map_err(|e| BuildError::param(&owner, e))?;
                    let delays =
                        crate::delays::SynapseDelays::from_steps(&steps, &built.connectivity)
                            .map_err(|e| BuildError::param(&owner, e))?;
                    delay_steps = match &delays {
                        Some(d) => d.min_steps(),
                        None => steps.first().copied().unwrap_or(0),
                    };
                    if delays.is_some() && (spec.stp.is_some() || spec.plasticity.is_some()) {
                        return Err(BuildError::param(
                            &owner,
                            crate::error::ParamError::new(
                                field,
                                "per-synapse delays do not work with short-term or long-term plasticity yet (their presynaptic state is per neuron, not per synapse); give the projection one delay_ms",
                            ),
                        ));
                    }
                    delays
                }
            };
            if spec.storage == Storage::Sparse {
                built.connectivity = built.connectivity.to_sparse();
            }
            (built.connectivity, w)
        };
        let n_synapses = connectivity.n_synapses();
        let entity = self
            .world
            .spawn((
                Projection {
                    name: spec.name.clone(),
                    pre,
                    post,
                    pre_name: spec.pre.clone(),
                    post_name: spec.post.clone(),
                    delay_steps,
                },
                connectivity,
                Weights { w },
                DelayLine::new(delay_steps),
                Arrivals::default(),
            ))
            .id();
        if let Some(columns) = share
            && by_column
            && let Some(share) = &mut self.share
        {
            share.shares.push((
                entity,
                crate::share::OwnedColumns {
                    columns,
                    total_synapses: None,
                },
            ));
        }
        if let Some(delays) = synapse_delays {
            let queue = delays.queue(n_pre);
            self.world.entity_mut(entity).insert((delays, queue));
        }
        let target = Target::Projection {
            pre,
            post,
            n_pre,
            n_post,
            n_synapses,
        };
        self.attach(entity, &spec.name, target, spec.synapse.as_ref())?;
        if let Some(stp) = &spec.stp {
            self.attach(entity, &spec.name, target, stp.as_ref())?;
        }
        if let Some(rule) = &spec.plasticity {
            self.attach(entity, &spec.name, target, rule.as_ref())?;
        } else if let Some(mut connectivity) = self.world.get_mut::<Connectivity>(entity) {
            // Only plasticity walks synapses by postsynaptic neuron: a static projection keeps
            // its rows alone (the index is rebuilt if anything asks for it later).
            connectivity.release_incoming();
        }
        if !self.world.resource::<Executor>().is_single() {
            self.split_rows(Some(entity));
        }
        let checks = self
            .world
            .get_resource::<crate::checks::ProjectionChecks>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        for (_, check) in checks {
            check(&self.world, entity)?;
        }
        self.world
            .resource_mut::<NetworkIndex>()
            .projections
            .push((spec.name, entity));
        Ok(entity)
    }

    /// Build only rank `rank`'s share of the static projections added from now on (see
    /// [`crate::share`]): the synapses onto the neurons the rank owns. `keep_whole` names
    /// projections to build whole anyway (those whose weights are recorded). Used by
    /// `hebb_mpi` runs before the scene's projections are added; with one rank it changes
    /// nothing. Errors for 0 ranks or `rank >= ranks`.
    pub fn set_synapse_share(
        &mut self,
        rank: usize,
        ranks: usize,
        keep_whole: Vec<String>,
    ) -> Result<(), BuildError> {
        if rank >= ranks {
            return Err(BuildError::Invalid(format!(
                "rank {rank} of {ranks}: the rank must be below the number of ranks"
            )));
        }
        self.share = Some(crate::share::SynapseShare {
            rank,
            ranks,
            keep_whole,
            shares: Vec::new(),
        });
        Ok(())
    }

    /// This rank's share of the synapses, if it builds one ([`Simulation::set_synapse_share`]).
    pub fn synapse_share(&self) -> Option<&crate::share::SynapseShare> {
        self.share.as_ref()
    }

    /// The columns projection `entity` holds, if it was built as this rank's share.
    pub fn owned_columns(&self, entity: Entity) -> Option<&crate::share::OwnedColumns> {
        self.share.as_ref()?.owned_columns(entity)
    }

    /// Record the whole projection's synapse count of share `entity` (known once the ranks
    /// have counted together; `hebb_mpi` sets it on rank 0).
    pub fn set_total_synapses(&mut self, entity: Entity, total: u64) {
        if let Some(share) = &mut self.share
            && let Some((_, owned)) = share.shares.iter_mut().find(|(e, _)| *e == entity)
        {
            owned.total_synapses = Some(total);
        }
    }

    /// Run `check` on every projection added from now on, once its models are attached (see
    /// [`crate::checks`]). A second check under the same `name` replaces the first.
    pub fn add_projection_check(
        &mut self,
        name: &'static str,
        check: crate::checks::ProjectionCheck,
    ) -> &mut Self {
        let mut checks = self
            .world
            .get_resource_or_insert_with(crate::checks::ProjectionChecks::default);
        match checks.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = check,
            None => checks.0.push((name, check)),
        }
        self
    }

    /// Run the following steps on `threads` threads (1 = on the calling thread, the default).
    /// The results are bit-identical for every thread count; only the speed changes. The
    /// simulation owns its thread pool (never rayon's global one). Errors for 0.
    /// See `docs/parallel.md`.
    pub fn set_threads(&mut self, threads: usize) -> Result<(), ThreadsError> {
        if threads != self.threads() {
            let (rank, ranks) = {
                let old = self.world.resource::<Executor>();
                (old.rank(), old.ranks())
            };
            self.replace_executor(Executor::new(threads)?.with_rank(rank, ranks)?);
            self.split_rows(None);
        }
        Ok(())
    }

    /// Make `executor` the one every system uses from the next step on: the `Executor`
    /// resource and the [`SharedExecutor`](crate::parallel::SharedExecutor) that systems taking
    /// `&Executor` copy from.
    fn replace_executor(&mut self, executor: Executor) {
        self.world
            .resource_mut::<crate::parallel::SharedExecutor>()
            .set(executor.clone());
        self.world.insert_resource(executor);
    }

    /// Keep every sparse projection's (or only `projection`'s) row split positions at the
    /// current partition bounds, or drop them on one thread and one rank
    /// ([`Connectivity::split_rows_at`]): a partition then finds its part of an arriving row
    /// with one load. Called whenever the layout changes and for each new projection.
    fn split_rows(&mut self, projection: Option<Entity>) {
        let executor = self.world.resource::<Executor>().clone();
        let split = |connectivity: &mut Connectivity| {
            if executor.is_single() {
                connectivity.split_rows_at(&[]);
            } else {
                connectivity.split_rows_at(&executor.partition_bounds(connectivity.n_post()));
            }
        };
        match projection {
            Some(entity) => {
                if let Some(mut connectivity) = self.world.get_mut::<Connectivity>(entity) {
                    split(&mut connectivity);
                }
            }
            None => {
                let mut all = self.world.query::<&mut Connectivity>();
                for mut connectivity in all.iter_mut(&mut self.world) {
                    split(&mut connectivity);
                }
            }
        }
    }

    /// Run as rank `rank` of `ranks` processes: from the next step on, the partitioned systems
    /// step only this rank's neurons ([`Executor::owned`]) and the spikes of the other ranks'
    /// neurons are dropped after [`Stage::NeuronStep`] (they arrive through the exchange of
    /// `hebb_mpi`). Used by `hebb_mpi`; one rank (the default) is an ordinary run.
    pub fn set_rank(&mut self, rank: usize, ranks: usize) -> Result<(), ThreadsError> {
        let executor = self.world.resource::<Executor>().clone();
        let was = executor.ranks();
        self.replace_executor(executor.with_rank(rank, ranks)?);
        self.split_rows(None);
        if ranks > 1 && was == 1 {
            // Added only here, so one-rank runs pay nothing for it (`keep_owned_spikes` is a
            // no-op with one rank, so adding it twice would be harmless, but is avoided).
            self.schedule
                .add_systems(crate::parallel::keep_owned_spikes.in_set(CoreSet::KeepOwned));
        }
        Ok(())
    }

    /// Start capturing the input current of population `entity` each step (`i_syn`, see
    /// [`crate::population::InputCurrent`]); the capturing system joins the schedule with the
    /// first recorded population, so a run that records no `i_syn` pays nothing for it.
    fn capture_input_current(&mut self, entity: Entity) {
        let size = self.world.get::<Population>(entity).map_or(0, |p| p.size);
        let Some(mut captured) = self
            .world
            .get_mut::<crate::population::InputCurrent>(entity)
        else {
            return;
        };
        captured.i_syn.resize(size, 0.0);
        if !self.world.contains_resource::<CapturingInput>() {
            self.world.insert_resource(CapturingInput);
            self.schedule.add_systems(
                crate::population::capture_input_current.in_set(CoreSet::CaptureInput),
            );
        }
    }

    /// The number of threads (= partitions) the steps run on.
    pub fn threads(&self) -> usize {
        self.world.resource::<Executor>().threads()
    }

    /// The thread count hebb picks for this network when none is given: 1 below
    /// [`crate::parallel::executor::AUTO_MIN_NEURONS`] neurons (where the cost of waking a
    /// second thread each step exceeds the work it takes over), else the available cores (at
    /// most [`crate::parallel::executor::AUTO_MAX_THREADS`]).
    pub fn auto_threads(&self) -> usize {
        let neurons = self
            .index()
            .populations
            .iter()
            .filter_map(|(_, e)| self.world.get::<Population>(*e))
            .filter(|p| !p.is_input)
            .map(|p| p.size)
            .sum();
        crate::parallel::executor::auto_threads(neurons)
    }

    /// Add a recorder. Errors name unknown targets and variables.
    pub fn add_recorder(&mut self, spec: &RecorderSpec) -> Result<(), BuildError> {
        let index = self.index().clone();
        match spec {
            RecorderSpec::Spikes {
                population,
                name,
                from_ms,
                to_ms,
            } => {
                let (entity, view, list) = self.resolve_view(population)?;
                let size = self.world.get::<Population>(entity).map_or(0, |p| p.size);
                let selection = Self::mask_of(list, size);
                let name = name.clone().unwrap_or_else(|| view.population.clone());
                let window_step = |field: &str, ms: f64| {
                    crate::clock::steps_on_grid(ms, self.dt_ms()).ok_or_else(|| {
                        BuildError::Invalid(format!(
                            "recorder `{name}`: {field} must be >= 0 and a whole number of time steps (dt = {} ms), got {ms}",
                            self.dt_ms()
                        ))
                    })
                };
                let start = from_ms.map_or(Ok(0), |ms| window_step("from_ms", ms))?;
                let end = to_ms.map_or(Ok(u64::MAX), |ms| window_step("to_ms", ms))?;
                if end <= start {
                    return Err(BuildError::Invalid(format!(
                        "recorder `{name}`: to_ms must be > from_ms, got {} <= {}",
                        to_ms.unwrap_or_default(),
                        from_ms.unwrap_or_default()
                    )));
                }
                let recording = SpikeRecording {
                    name: name.clone(),
                    population: view.population.clone(),
                    entity: Some(entity),
                    selection,
                    steps_window: start..end,
                    ..Default::default()
                };
                let mut recorders = self.world.resource_mut::<Recorders>();
                match recorders.spikes_of(&name) {
                    None => recorders.spikes.push(recording),
                    // The same recorder twice records once.
                    Some(same) if *same == recording => {}
                    Some(_) => {
                        return Err(BuildError::Invalid(format!(
                            "two spike recorders are named `{name}` (a spike recorder is named after its population unless it has a `name`); give each its own `name`"
                        )));
                    }
                }
                Ok(())
            }
            RecorderSpec::WeightTable {
                name,
                projection,
                at_ms,
            } => {
                let entity = index.projection_or_err(projection)?;
                self.check_recorder_name(name, 1)?;
                if self.recorders().tables.iter().any(|t| t.name == *name) {
                    return Err(BuildError::Duplicate {
                        kind: "recorder",
                        name: name.clone(),
                    });
                }
                let mut at_steps = Vec::new();
                for &ms in at_ms {
                    let step = crate::clock::steps_on_grid(ms, self.dt_ms()).ok_or_else(|| {
                        BuildError::Invalid(format!(
                            "recorder `{name}`: at_ms must be >= 0 and whole numbers of time steps (dt = {} ms), got {ms}",
                            self.dt_ms()
                        ))
                    })?;
                    at_steps.push(step);
                }
                at_steps.sort_unstable();
                at_steps.dedup();
                let (pre, post) = self
                    .world
                    .get::<crate::connectivity::Connectivity>(entity)
                    .map(|c| c.pairs().into_iter().unzip())
                    .unwrap_or_default();
                self.world.resource_mut::<Recorders>().tables.push(
                    crate::record::WeightTableRecording {
                        name: name.clone(),
                        entity,
                        pre,
                        post,
                        at_steps,
                        times_ms: Vec::new(),
                        values: Vec::new(),
                        last_step: None,
                    },
                );
                Ok(())
            }
            RecorderSpec::PopulationRate {
                name,
                population,
                bin_ms,
            } => {
                let (entity, _, list) = self.resolve_view(population)?;
                self.check_recorder_name(name, 1)?;
                let bin_steps = crate::clock::steps_on_grid(*bin_ms, self.dt_ms())
                    .filter(|&b| b >= 1)
                    .ok_or_else(|| {
                        BuildError::Invalid(format!(
                            "recorder `{name}`: bin_ms must be a whole number (>= 1) of time steps (dt = {} ms), got {bin_ms}",
                            self.dt_ms()
                        ))
                    })?;
                let size = self.world.get::<Population>(entity).map_or(0, |p| p.size);
                let neurons = list.as_ref().map_or(size, Vec::len);
                let selection = Self::mask_of(list, size);
                self.push_state_recorder(
                    name,
                    entity,
                    vec!["rate_hz".into()],
                    vec!["rate_hz".into()],
                    Vec::new(),
                    1,
                );
                if let Some(rec) = self.world.resource_mut::<Recorders>().states.last_mut() {
                    rec.rate = Some(crate::record::RateBins {
                        selection,
                        neurons,
                        bin_steps,
                        count: 0,
                        bin_counts: None,
                    });
                }
                Ok(())
            }
            RecorderSpec::State {
                name,
                target,
                variables,
                indices,
                stride,
            } => {
                let view = crate::view::PopulationView::parse(target)
                    .map_err(|e| BuildError::Invalid(format!("recorder `{name}`: target {e}")))?;
                let indices = if view.is_partial() {
                    if indices.is_some() {
                        return Err(BuildError::Invalid(format!(
                            "recorder `{name}`: the target `{target}` selects neurons and so would `indices`; give the neurons once"
                        )));
                    }
                    // The view's neurons, in the order it lists them.
                    let (_, _, list) = self.resolve_view(target)?;
                    list.map(|l| l.into_iter().map(|i| i as usize).collect())
                } else {
                    indices.clone()
                };
                let target = &view.population;
                let entity = index
                    .population(target)
                    .or_else(|| index.projection(target))
                    .ok_or_else(|| BuildError::UnknownName {
                        kind: "population or projection",
                        name: target.clone(),
                        known: index
                            .populations
                            .iter()
                            .chain(&index.projections)
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
                self.check_recorder_name(name, *stride)?;
                if variables.iter().any(|v| v == "i_syn") {
                    self.capture_input_current(entity);
                }
                let readers = self.world.resource::<VariableReaders>().clone();
                let mut columns = Vec::new();
                let mut sources = Vec::new();
                for (vi, var) in variables.iter().enumerate() {
                    let reader = readers.find(&self.world, entity, var).ok_or_else(|| {
                        BuildError::Invalid(format!(
                            "recorder `{name}`: `{target}` has no variable `{var}`; it has: {}",
                            readers.available(&self.world, entity).join(", ")
                        ))
                    })?;
                    let len = reader(&self.world, entity, var).map_or(0, <[_]>::len);
                    let idx: Vec<usize> = match &indices {
                        Some(list) => list.clone(),
                        None => (0..len).collect(),
                    };
                    for &i in &idx {
                        if i >= len {
                            return Err(BuildError::Invalid(format!(
                                "recorder `{name}`: index {i} is out of range for `{var}` of `{target}` (length {len})"
                            )));
                        }
                        columns.push(format!("{var}[{i}]"));
                        sources.push(Source::Variable {
                            reader,
                            variable: vi,
                            index: i,
                        });
                    }
                }
                self.push_state_recorder(
                    name,
                    entity,
                    columns,
                    variables.clone(),
                    sources,
                    *stride,
                );
                Ok(())
            }
            RecorderSpec::Weights {
                name,
                projection,
                synapses,
                stride,
            } => {
                let entity = index.projection_or_err(projection)?;
                self.check_recorder_name(name, *stride)?;
                let conn = self
                    .world
                    .get::<crate::connectivity::Connectivity>(entity)
                    .expect("projection has connectivity");
                let pairs = match synapses {
                    Some(p) => p.clone(),
                    None => conn.pairs(),
                };
                let mut columns = Vec::new();
                let mut sources = Vec::new();
                for (i, j) in pairs {
                    let s = conn.synapse(i as usize, j as usize).ok_or_else(|| {
                        BuildError::Invalid(format!(
                            "recorder `{name}`: projection `{projection}` has no synapse ({i}, {j})"
                        ))
                    })?;
                    columns.push(format!("w[{i},{j}]"));
                    sources.push(Source::Weight { synapse: s });
                }
                self.push_state_recorder(name, entity, columns, vec!["w".into()], sources, *stride);
                Ok(())
            }
        }
    }

    /// The population of a view (`exc`, `exc[0:100]`), the parsed view and the selected
    /// neurons in the order the view lists them (`None` for all).
    pub fn resolve_view(
        &self,
        text: &str,
    ) -> Result<(Entity, crate::view::PopulationView, Option<Vec<u32>>), BuildError> {
        let view = crate::view::PopulationView::parse(text)
            .map_err(|e| BuildError::Invalid(e.to_string()))?;
        let entity = self.index().population_or_err(&view.population)?;
        let size = self.world.get::<Population>(entity).map_or(0, |p| p.size);
        let list = view
            .neurons(size)
            .map_err(|e| BuildError::Invalid(e.to_string()))?;
        Ok((entity, view, list))
    }

    /// A mask of `size` with the neurons of `list` set.
    fn mask_of(list: Option<Vec<u32>>, size: usize) -> Option<Vec<bool>> {
        list.map(|list| {
            let mut mask = vec![false; size];
            for i in list {
                mask[i as usize] = true;
            }
            mask
        })
    }

    fn check_recorder_name(&self, name: &str, stride: u32) -> Result<(), BuildError> {
        if stride == 0 {
            return Err(BuildError::Invalid(format!(
                "recorder `{name}`: stride must be >= 1, got 0"
            )));
        }
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !valid {
            return Err(BuildError::Invalid(format!(
                "recorder name `{name}` must be non-empty and use only letters, digits, `_`, `-`, `.`"
            )));
        }
        if self.world.resource::<Recorders>().state(name).is_some() {
            return Err(BuildError::Duplicate {
                kind: "recorder",
                name: name.to_owned(),
            });
        }
        Ok(())
    }

    fn push_state_recorder(
        &mut self,
        name: &str,
        entity: Entity,
        columns: Vec<String>,
        variables: Vec<String>,
        sources: Vec<Source>,
        stride: u32,
    ) {
        self.world
            .resource_mut::<Recorders>()
            .states
            .push(StateRecording {
                name: name.to_owned(),
                entity,
                columns,
                variables,
                sources,
                stride,
                times_ms: Vec::new(),
                values: Vec::new(),
                rate: None,
            });
        if let Ok(mut target) = self.world.get_entity_mut(entity) {
            if let Some(mut recorded) = target.get_mut::<crate::record::RecordedEvery>() {
                recorded.add(stride);
            } else {
                let mut recorded = crate::record::RecordedEvery::default();
                recorded.add(stride);
                target.insert(recorded);
            }
        }
    }

    /// Take every weight table now (the state after the last step run; the `hebb` command
    /// calls this at the end of a run). A table already taken at this step is not repeated.
    pub fn record_weight_tables(&mut self) {
        let step = self.clock().step;
        let Some(last) = step.checked_sub(1) else {
            return;
        };
        let dt = self.dt_ms();
        let mut recorders = std::mem::take(&mut *self.world.resource_mut::<Recorders>());
        for rec in &mut recorders.tables {
            rec.take(&self.world, last, dt);
        }
        *self.world.resource_mut::<Recorders>() = recorders;
    }

    /// Hand every recorder's buffered data to its sink and flush the sink (no-op without one).
    /// Returns the sink's first error, if any.
    pub fn flush_recorders(&mut self) -> Result<(), String> {
        let dt = self.dt_ms();
        let mut recorders = self.world.resource_mut::<Recorders>();
        recorders.flush(dt);
        recorders.error.clone().map_or(Ok(()), Err)
    }

    /// The recorders and what they hold.
    pub fn recorders(&self) -> &Recorders {
        self.world.resource::<Recorders>()
    }

    /// Impose spikes on an `Exact`-style population for the next step.
    pub fn impose_spikes(&mut self, population: &str, neurons: &[u32]) -> Result<(), BuildError> {
        let e = self.index().population_or_err(population)?;
        let size = self.world.get::<Population>(e).map_or(0, |p| p.size);
        if let Some(&bad) = neurons.iter().find(|&&i| i as usize >= size) {
            return Err(BuildError::Invalid(format!(
                "neuron {bad} is out of range for population `{population}` of size {size}"
            )));
        }
        if let Some(mut imposed) = self.world.get_mut::<ImposedSpikes>(e) {
            imposed.next.extend_from_slice(neurons);
        }
        Ok(())
    }

    // ----- running --------------------------------------------------------------------------

    /// Build the schedule now (otherwise done by the first step). Ambiguous system orders and
    /// other schedule errors are reported here.
    pub fn initialize(&mut self) -> Result<(), BuildError> {
        if !self.initialized {
            let graph = self.schedule.graph();
            let conditional = graph.systems.iter().any(|(_, _, c)| !c.is_empty())
                || graph.system_sets.iter().any(|(_, _, c)| !c.is_empty());
            if conditional {
                self.schedule.set_executor(SingleThreadedExecutor::new());
            } else {
                self.schedule.set_executor(ChainExecutor::default());
            }
            self.schedule
                .initialize(&mut self.world)
                .map_err(|e| BuildError::Invalid(format!("schedule: {e}")))?;
            self.initialized = true;
        }
        Ok(())
    }

    /// Advance one time step.
    pub fn step(&mut self) {
        if !self.initialized
            && let Err(e) = self.initialize()
        {
            panic!("{e}");
        }
        self.schedule.run(&mut self.world);
        self.clock.advance();
    }

    /// Advance `n` steps.
    pub fn run_steps(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }

    /// Advance by `ms` (a whole number of steps).
    pub fn run_for(&mut self, ms: f64) -> Result<(), BuildError> {
        let dt = self.dt_ms();
        let n = steps_on_grid(ms, dt).ok_or_else(|| {
            BuildError::Invalid(format!(
                "run_for: {ms} ms is not a whole number of steps of {dt} ms"
            ))
        })?;
        self.run_steps(n);
        Ok(())
    }

    /// The systems of each stage in run order, one per line.
    pub fn schedule_summary(&mut self) -> Result<String, BuildError> {
        self.initialize()?;
        let graph = self.schedule.graph();
        let mut stage_of = BTreeMap::new();
        let groups: Vec<(String, bevy_ecs::intern::Interned<dyn SystemSet>)> = Stage::ALL
            .iter()
            .flat_map(|s| {
                let mut v = vec![(format!("{s:?}"), s.intern())];
                if *s == Stage::InputSpikes {
                    v.push(("(core) Deliver".to_owned(), CoreSet::Deliver.intern()));
                }
                v
            })
            .collect();
        for (label, set) in &groups {
            if let Ok(keys) = graph.systems_in_set(*set) {
                for k in keys {
                    stage_of.insert(*k, label.clone());
                }
            }
        }
        let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let systems = self
            .schedule
            .systems()
            .map_err(|e| BuildError::Invalid(format!("schedule: {e:?}")))?;
        for (key, system) in systems {
            let group = stage_of
                .get(&key)
                .cloned()
                .unwrap_or_else(|| "(unstaged)".into());
            by_group
                .entry(group)
                .or_default()
                .push(system.name().to_string());
        }
        let mut out = String::new();
        for (label, _) in &groups {
            let systems = by_group.remove(label).unwrap_or_default();
            let _ = writeln!(out, "{label}:");
            if systems.is_empty() {
                let _ = writeln!(out, "    (none)");
            }
            for (n, s) in systems.iter().enumerate() {
                let _ = writeln!(out, "    {}. {s}", n + 1);
            }
        }
        Ok(out)
    }
}

/// Runs the systems of a schedule without run conditions one after the other, in the schedule's
/// topological order (for hebb's chained stages and slots, the only order). It does what
/// bevy's `SingleThreadedExecutor` does for such a schedule (deferred buffers such as `Commands`
/// applied at every `ApplyDeferred` sync point and at the end, errors to the error handler)
/// without its per-system bookkeeping (condition bitsets, `catch_unwind`), which costs about a
/// hundred instructions per system and step: a fifth of a step of a small network such as Song
/// et al. (2000)'s. [`Simulation::initialize`] falls back to bevy's executor when a system or
/// set has run conditions.
#[derive(Default)]
struct ChainExecutor {
    /// Per system: whether it is an `ApplyDeferred` sync point (filled on the first run).
    sync_points: Vec<bool>,
    /// Per system: whether it has deferred buffers to apply.
    deferred: Vec<bool>,
    /// Systems with deferred buffers that ran since the last application.
    unapplied: Vec<usize>,
    /// Leave the buffers of the systems after the last sync point to the next run (bevy's
    /// `set_apply_final_deferred(false)`).
    skip_final_deferred: bool,
}

impl ChainExecutor {
    fn apply_deferred(&mut self, systems: &mut [SystemWithAccess], world: &mut World) {
        for k in self.unapplied.drain(..) {
            systems[k].apply_deferred(world);
        }
    }
}

impl SystemExecutor for ChainExecutor {
    fn init(&mut self, _schedule: &SystemSchedule) {
        self.sync_points.clear();
        self.deferred.clear();
        self.unapplied.clear();
    }

    fn run(
        &mut self,
        schedule: &mut SystemSchedule,
        world: &mut World,
        _skip_systems: Option<&FixedBitSet>,
        error_handler: fn(BevyError, ErrorContext),
    ) {
        // SAFETY: the systems are only run and asked to apply their buffers, through `System`
        // methods; none is replaced.
        let systems = unsafe { schedule.systems_mut() };
        if self.sync_points.len() != systems.len() {
            let sync = TypeId::of::<ApplyDeferred>();
            self.sync_points = systems.iter().map(|s| s.system_type() == sync).collect();
            self.deferred = systems.iter().map(System::has_deferred).collect();
        }
        for k in 0..systems.len() {
            if self.sync_points[k] {
                self.apply_deferred(systems, world);
                continue;
            }
            let system = &mut systems[k];
            if let Err(RunSystemError::Failed(err)) =
                system.run_without_applying_deferred((), world)
            {
                error_handler(
                    err,
                    ErrorContext::System {
                        name: system.name(),
                        last_run: system.get_last_run(),
                    },
                );
            }
            if self.deferred[k] {
                self.unapplied.push(k);
            }
        }
        if !self.skip_final_deferred {
            self.apply_deferred(systems, world);
        }
    }

    fn set_apply_final_deferred(&mut self, apply_final_deferred: bool) {
        self.skip_final_deferred = !apply_final_deferred;
    }
}

impl StateVariables for Membrane {
    const VARIABLES: &'static [&'static str] = &["v"];
    fn variable(&self, name: &str) -> Option<&[crate::Real]> {
        (name == "v").then_some(self.v.as_slice())
    }
    fn variable_mut(&mut self, name: &str) -> Option<&mut [crate::Real]> {
        (name == "v").then_some(self.v.as_mut_slice())
    }
}

/// Convert a system error into a panic message; kept for fallible systems.
pub fn system_error(e: BevyError) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectivity::{ConnectivitySpec, WeightInit};
    use crate::registry::{AttachContext, Model, ModelKind};
    use serde::{Deserialize, Serialize};

    /// A test input: neuron `i` spikes at step `i`.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct Diagonal;
    #[derive(Component)]
    struct DiagonalState;
    impl Model for Diagonal {
        const NAME: &'static str = "Diagonal";
        const KIND: ModelKind = ModelKind::Input;
        const SUMMARY: &'static str = "neuron i spikes at step i";
        fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
            ctx.entity_mut().insert(DiagonalState);
            Ok(())
        }
    }
    fn diagonal(clock: Clock, mut q: Query<&mut Spikes, With<DiagonalState>>) {
        for mut s in &mut q {
            s.clear();
            if (clock.step as usize) < s.size() {
                s.push(clock.step as usize);
            }
        }
    }
    /// A test synapse that records the step of each arrival into the post input current.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct Probe;
    #[derive(Component)]
    struct ProbeTag;
    impl Model for Probe {
        const NAME: &'static str = "Probe";
        const KIND: ModelKind = ModelKind::Synapse;
        const SUMMARY: &'static str = "test";
        fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
            ctx.entity_mut().insert(ProbeTag);
            Ok(())
        }
    }
    fn probe(
        q: Query<
            (
                &Projection,
                &crate::connectivity::Connectivity,
                &Weights,
                &Arrivals,
            ),
            With<ProbeTag>,
        >,
        mut inputs: Query<&mut SynapticInput>,
    ) {
        for (p, c, w, a) in &q {
            let mut input = inputs.get_mut(p.post).unwrap();
            crate::projection::for_each_transmission(c, &w.w, a, None, |j, x| {
                input.current[j] += x
            });
        }
    }

    fn sim(delay_ms: f64) -> Result<Simulation, BuildError> {
        let mut sim = Simulation::new(0.5, 1)?;
        sim.add_plugins(|sim: &mut Simulation| {
            sim.register_model::<Diagonal>().register_model::<Probe>();
            sim.add_systems(Stage::InputSpikes, diagonal);
            sim.add_systems(Stage::CurrentIntegration, probe);
        });
        sim.add_population(PopulationSpec {
            name: "in".into(),
            size: 4,
            model: Box::new(Diagonal),
        })?;
        sim.add_population(PopulationSpec {
            name: "out".into(),
            size: 4,
            model: Box::new(Diagonal),
        })?;
        let mut spec = ProjectionSpec::new(
            "p",
            "in",
            "out",
            ConnectivitySpec::OneToOne,
            WeightInit::Constant(1.0),
            Probe,
        );
        spec.delay_ms = delay_ms;
        sim.add_projection(spec)?;
        Ok(sim)
    }

    #[test]
    fn delayed_input_arrives_d_steps_later() {
        for d in 0..4u64 {
            let mut sim = sim(d as f64 * 0.5).unwrap();
            let out = sim.index().population("out").unwrap();
            let mut seen = vec![];
            for step in 0..10u64 {
                sim.step();
                let input = sim.world.get::<SynapticInput>(out).unwrap();
                if let Some(j) = input.current.iter().position(|&x| x != 0.0) {
                    seen.push((step, j));
                }
                sim.world
                    .get_mut::<SynapticInput>(out)
                    .unwrap()
                    .current
                    .fill(0.0);
            }
            let expected: Vec<_> = (0..4)
                .map(|i| (i as u64 + d, i))
                .filter(|(s, _)| *s < 10)
                .collect();
            assert_eq!(seen, expected, "delay {d}");
        }
    }

    #[test]
    fn off_grid_and_negative_delays_are_rejected() {
        let e = sim(0.25).err().unwrap().to_string();
        assert!(e.contains("delay_ms") && e.contains("0.25"), "{e}");
        assert!(sim(-0.5).is_err());
    }

    #[test]
    fn summary_lists_systems_by_stage() {
        let mut sim = sim(0.0).unwrap();
        let text = sim.schedule_summary().unwrap();
        assert!(
            text.contains("InputSpikes:\n    1. ") && text.contains("diagonal"),
            "{text}"
        );
        assert!(
            text.contains("(core) Deliver:\n    1. ") && text.contains("deliver_spikes"),
            "{text}"
        );
        assert!(text.find("probe").unwrap() > text.find("CurrentIntegration").unwrap());
        assert!(text.contains("Plasticity:\n    (none)"));
    }

    #[test]
    fn names_are_checked() {
        let mut sim = sim(0.0).unwrap();
        let e = sim
            .add_projection(ProjectionSpec::new(
                "q",
                "in",
                "nope",
                ConnectivitySpec::AllToAll,
                WeightInit::Constant(1.0),
                Probe,
            ))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope") && e.contains("in, out"), "{e}");
        let e = sim
            .add_population(PopulationSpec {
                name: "in".into(),
                size: 1,
                model: Box::new(Diagonal),
            })
            .unwrap_err();
        assert!(e.to_string().contains("duplicate"));
    }

    #[test]
    fn spike_recorder_and_counts() {
        let mut sim = sim(0.0).unwrap();
        sim.add_recorder(&RecorderSpec::spikes("in")).unwrap();
        sim.add_recorder(&RecorderSpec::Weights {
            name: "w".into(),
            projection: "p".into(),
            synapses: Some(vec![(1, 1)]),
            stride: 2,
        })
        .unwrap();
        sim.run_for(3.0).unwrap();
        let rec = sim.recorders().spikes_of("in").unwrap();
        assert_eq!(rec.steps, vec![0, 1, 2, 3]);
        assert_eq!(rec.neurons, vec![0, 1, 2, 3]);
        let w = sim.recorders().state("w").unwrap();
        assert_eq!(w.columns, vec!["w[1,1]"]);
        assert_eq!(w.times_ms, vec![0.0, 1.0, 2.0]);
        assert!(
            sim.add_recorder(&RecorderSpec::Weights {
                name: "w2".into(),
                projection: "p".into(),
                synapses: Some(vec![(1, 2)]),
                stride: 1
            })
            .is_err()
        );
    }

    fn unused_system() {}

    #[test]
    fn model_systems_join_the_schedule_on_first_use() {
        let mut sim = Simulation::new(1.0, 1).unwrap();
        sim.register_model::<Diagonal>();
        sim.add_model_systems::<Diagonal, _>(Stage::InputSpikes, diagonal);
        sim.add_systems_for(&["NotUsed"], Stage::NeuronStep, unused_system);
        let text = sim.schedule_summary().unwrap();
        assert!(
            !text.contains("diagonal") && !text.contains("unused_system"),
            "{text}"
        );
        sim.add_population(PopulationSpec {
            name: "in".into(),
            size: 3,
            model: Box::new(Diagonal),
        })
        .unwrap();
        let text = sim.schedule_summary().unwrap();
        assert!(
            text.contains("diagonal") && !text.contains("unused_system"),
            "{text}"
        );
        sim.run_steps(2);
        let e = sim.index().population("in").unwrap();
        assert_eq!(sim.world.get::<Spikes>(e).unwrap().indices(), &[1]);
    }

    /// Counts system runs and what they saw (executor tests).
    #[derive(Resource, Default)]
    struct Seen {
        even_steps: u32,
        markers: Vec<usize>,
    }

    #[derive(Component)]
    struct Marker;

    fn on_even_steps(mut seen: ResMut<Seen>) {
        seen.even_steps += 1;
    }

    fn spawn_marker(mut commands: Commands) {
        commands.spawn(Marker);
    }

    fn count_markers(markers: Query<&Marker>, mut seen: ResMut<Seen>) {
        seen.markers.push(markers.iter().count());
    }

    #[test]
    fn commands_are_applied_before_later_stages_and_conditions_hold() {
        // Without run conditions, hebb's own executor runs the schedule: a spawn through
        // Commands in InputSpikes is visible to a NeuronStep system of the same step (bevy's
        // sync point between them).
        let mut sim = Simulation::new(1.0, 1).unwrap();
        sim.insert_resource(Seen::default());
        sim.add_systems(Stage::InputSpikes, spawn_marker);
        sim.add_systems(Stage::NeuronStep, count_markers);
        sim.run_steps(3);
        assert_eq!(sim.world.resource::<Seen>().markers, vec![1, 2, 3]);

        // A run condition makes the simulation fall back to bevy's executor, which honours it.
        let mut sim = Simulation::new(1.0, 1).unwrap();
        sim.insert_resource(Seen::default());
        sim.add_systems(
            Stage::NeuronStep,
            on_even_steps.run_if(|clock: Clock| clock.step.is_multiple_of(2)),
        );
        sim.add_systems(Stage::NeuronStep, spawn_marker);
        sim.add_systems(Stage::Record, count_markers);
        sim.run_steps(5);
        let seen = sim.world.resource::<Seen>();
        assert_eq!(seen.even_steps, 3);
        assert_eq!(seen.markers, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn sizes_delays_and_synapse_counts_are_bounded() {
        let e = sim(1e9).err().unwrap().to_string();
        assert!(e.contains("delay_ms must be at most"), "{e}");
        let mut sim = sim(0.0).unwrap();
        let e = sim
            .add_population(PopulationSpec {
                name: "huge".into(),
                size: 1 << 40,
                model: Box::new(Diagonal),
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("size must be in [1, 100000000]"), "{e}");
        sim.add_population(PopulationSpec {
            name: "big".into(),
            size: 100_000,
            model: Box::new(Diagonal),
        })
        .unwrap();
        let e = sim
            .add_projection(ProjectionSpec::new(
                "dense",
                "big",
                "big",
                ConnectivitySpec::AllToAll,
                WeightInit::Constant(1.0),
                Probe,
            ))
            .unwrap_err()
            .to_string();
        assert!(e.contains("would create about 1.000e10 synapses"), "{e}");
    }
}
