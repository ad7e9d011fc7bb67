//! Snapshots: the full state of a running simulation (every registered state component of every
//! population, projection, stimulus and network model; registered resources; the clock; what
//! the recorders hold), so that a run can stop at time T and resume bit for bit.
//!
//! A snapshot does not hold the network's structure: resuming rebuilds the network from its
//! scene, then [`Simulation::restore_state`] overwrites the state. Models opt in by deriving
//! serde on their state components and calling [`Simulation::register_snapshot`] in their
//! plugin; the core registers its own components (spikes, inputs, membranes, RNG streams,
//! weights, delay lines, …).

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_ecs::world::World;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::Real;
use crate::clock::Clock;
use crate::record::Recorders;
use crate::shape::{fits, shape_of};
use crate::simulation::{NetworkIndex, Simulation};
use crate::state_merge::{MergeRule, merge_encoded};

/// Errors while saving or restoring state.
#[derive(Debug, Error)]
pub enum SnapshotError {
    /// Encoding or decoding failed.
    #[error("snapshot {what}: {source}")]
    Codec {
        /// What was being encoded or decoded.
        what: String,
        /// The codec error.
        source: postcard::Error,
    },
    /// The snapshot does not fit the network it is restored into.
    #[error("snapshot does not match the network: {0}")]
    Mismatch(String),
}

type SaveFn = fn(&World, Entity) -> Option<Result<Vec<u8>, postcard::Error>>;
type LoadFn = fn(&mut World, Entity, &[u8]) -> Result<(), LoadError>;
type ShapeFn = fn(&World, Entity) -> Option<Vec<crate::shape::Token>>;
type MergeFn = fn(&[&[u8]], &MergeRule<'_>) -> Result<Vec<u8>, String>;
type SaveResFn = fn(&World) -> Option<Result<Vec<u8>, postcard::Error>>;
type LoadResFn = fn(&mut World, &[u8]) -> Result<(), LoadError>;

/// Why one saved component or resource could not be loaded.
#[derive(Debug)]
enum LoadError {
    Codec(postcard::Error),
    /// Not in the network, or of another shape.
    Mismatch(String),
}

/// A state component that checks a saved value against the one the network was built with,
/// beyond the shape check every component gets ([`crate::shape`]): derived structure kept in
/// the state (offsets, index lists, flags computed from the connectivity) must equal the
/// network's, saved indices must be in range. Register it with
/// [`Simulation::register_snapshot_checked`]. A failed check refuses the snapshot; nothing
/// is restored, so stepping never meets an inconsistent state.
pub trait RestoreCheck {
    /// `Ok` when `saved` may replace `fresh` (built from the same scene); otherwise what does
    /// not fit, in a few words.
    fn check_restored(fresh: &Self, saved: &Self) -> Result<(), String>;
}

/// Which components and resources snapshots hold.
#[derive(Resource, Default, Clone)]
pub struct SnapshotRegistry {
    components: Vec<(&'static str, SaveFn, LoadFn, ShapeFn, MergeFn)>,
    resources: Vec<(&'static str, SaveResFn, LoadResFn)>,
}

impl SnapshotRegistry {
    /// Save and restore component `T` wherever it appears. A saved `T` is restored only into
    /// an entity that has a `T` of the same shape (array lengths, enum variants; see
    /// [`crate::shape`]).
    pub fn register_component<T: Component + Serialize + DeserializeOwned>(&mut self) {
        self.push_component::<T>(|world, e, bytes| {
            load_component::<T>(world, e, bytes, |_, _| Ok(()))
        });
    }

    /// Like [`Self::register_component`], and the saved value must also pass
    /// [`RestoreCheck::check_restored`] against the network's.
    pub fn register_component_checked<
        T: Component + Serialize + DeserializeOwned + RestoreCheck,
    >(
        &mut self,
    ) {
        self.push_component::<T>(|world, e, bytes| {
            load_component::<T>(world, e, bytes, T::check_restored)
        });
    }

    fn push_component<T: Component + Serialize + DeserializeOwned>(&mut self, load: LoadFn) {
        let key = std::any::type_name::<T>();
        if self.components.iter().any(|(k, ..)| *k == key) {
            return;
        }
        self.components.push((
            key,
            |world, e| world.get::<T>(e).map(postcard::to_allocvec),
            load,
            |world, e| world.get::<T>(e).map(shape_of),
            merge_encoded::<T>,
        ));
    }

    /// Merge the saved component `name` of several ranks (their postcard bytes, in rank order)
    /// by `rule` into the value one process would have saved ([`crate::state_merge`]).
    pub fn merge_component(
        &self,
        name: &str,
        parts: &[&[u8]],
        rule: &MergeRule<'_>,
    ) -> Result<Vec<u8>, String> {
        let (.., merge) = self
            .components
            .iter()
            .find(|(k, ..)| *k == name)
            .ok_or_else(|| format!("unknown state component {name}"))?;
        merge(parts, rule)
    }

    /// Save and restore resource `R` (restored only over an `R` of the same shape).
    pub fn register_resource<R: Resource + Serialize + DeserializeOwned>(&mut self) {
        let key = std::any::type_name::<R>();
        if self.resources.iter().any(|(k, ..)| *k == key) {
            return;
        }
        self.resources.push((
            key,
            |world| world.get_resource::<R>().map(postcard::to_allocvec),
            |world, bytes| {
                let value: R = postcard::from_bytes(bytes).map_err(LoadError::Codec)?;
                if let Some(current) = world.get_resource::<R>()
                    && !fits(&shape_of(current), &shape_of(&value))
                {
                    return Err(LoadError::Mismatch(
                        "its array lengths or variants differ from the network's".into(),
                    ));
                }
                world.insert_resource(value);
                Ok(())
            },
        ));
    }
}

/// Decode a saved `T`, check it against the network's `T` at `e` (shape, then `check`) and
/// put it in its place.
fn load_component<T: Component + Serialize + DeserializeOwned>(
    world: &mut World,
    e: Entity,
    bytes: &[u8],
    check: fn(&T, &T) -> Result<(), String>,
) -> Result<(), LoadError> {
    let value: T = postcard::from_bytes(bytes).map_err(LoadError::Codec)?;
    let current = world
        .get::<T>(e)
        .ok_or_else(|| LoadError::Mismatch("the network has no such component here".into()))?;
    if !fits(&shape_of(current), &shape_of(&value)) {
        return Err(LoadError::Mismatch(
            "its array lengths or variants differ from the network's".into(),
        ));
    }
    check(current, &value).map_err(LoadError::Mismatch)?;
    world.entity_mut(e).insert(value);
    Ok(())
}

/// The saved state of one entity: its key (`population/exc`, `projection/in`, `stimulus/0`,
/// `network/reward`) and its encoded components by type name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityState {
    /// Stable key of the entity in the network.
    pub key: String,
    /// `(component type name, postcard bytes)`.
    pub components: Vec<(String, Vec<u8>)>,
}

/// What recorders held at the snapshot.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordedState {
    /// Per spike recorder: population, steps, neurons.
    pub spikes: Vec<(String, Vec<u64>, Vec<u32>)>,
    /// Per state recorder: name, times, values.
    pub states: Vec<(String, Vec<f64>, Vec<Real>)>,
    /// What had already been handed to a sink.
    pub positions: crate::record::SinkPositions,
}

/// The full dynamic state of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateSnapshot {
    /// The clock (dt and the next step).
    pub clock: Clock,
    /// Master seed (checked on restore).
    pub seed: u64,
    /// Per-entity state.
    pub entities: Vec<EntityState>,
    /// `(resource type name, postcard bytes)`.
    pub resources: Vec<(String, Vec<u8>)>,
    /// Recorder contents.
    pub recorded: RecordedState,
}

impl StateSnapshot {
    /// Encode (postcard).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SnapshotError> {
        postcard::to_allocvec(self).map_err(|source| SnapshotError::Codec {
            what: "encode".into(),
            source,
        })
    }

    /// Decode (postcard).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SnapshotError> {
        postcard::from_bytes(bytes).map_err(|source| SnapshotError::Codec {
            what: "decode".into(),
            source,
        })
    }
}

/// Every entity whose state snapshots hold, with its key (`population/<name>`,
/// `projection/<name>`, `stimulus/<n>`, `network/<name>`), in the order snapshots list them.
pub fn keyed_entities(index: &NetworkIndex) -> Vec<(String, Entity)> {
    let mut out = Vec::new();
    out.extend(
        index
            .populations
            .iter()
            .map(|(n, e)| (format!("population/{n}"), *e)),
    );
    out.extend(
        index
            .projections
            .iter()
            .map(|(n, e)| (format!("projection/{n}"), *e)),
    );
    out.extend(
        index
            .stimuli
            .iter()
            .enumerate()
            .map(|(n, e)| (format!("stimulus/{n}"), *e)),
    );
    out.extend(
        index
            .network_models
            .iter()
            .map(|(n, e)| (format!("network/{n}"), *e)),
    );
    out
}

impl Simulation {
    /// Save component `T` in snapshots.
    pub fn register_snapshot<T: Component + Serialize + DeserializeOwned>(&mut self) -> &mut Self {
        self.world
            .resource_mut::<SnapshotRegistry>()
            .register_component::<T>();
        self
    }

    /// Save component `T` in snapshots; a saved `T` must also pass
    /// [`RestoreCheck::check_restored`] against the network's to be restored.
    pub fn register_snapshot_checked<T: Component + Serialize + DeserializeOwned + RestoreCheck>(
        &mut self,
    ) -> &mut Self {
        self.world
            .resource_mut::<SnapshotRegistry>()
            .register_component_checked::<T>();
        self
    }

    /// Save resource `R` in snapshots.
    pub fn register_snapshot_resource<R: Resource + Serialize + DeserializeOwned>(
        &mut self,
    ) -> &mut Self {
        self.world
            .resource_mut::<SnapshotRegistry>()
            .register_resource::<R>();
        self
    }

    /// The full dynamic state, between steps.
    pub fn save_state(&self) -> Result<StateSnapshot, SnapshotError> {
        let registry = self.world.resource::<SnapshotRegistry>();
        let codec = |what: &str| {
            let what = what.to_owned();
            move |source| SnapshotError::Codec {
                what: what.clone(),
                source,
            }
        };
        let mut entities = Vec::new();
        for (key, entity) in keyed_entities(self.world.resource::<NetworkIndex>()) {
            let mut components = Vec::new();
            for (name, save, ..) in &registry.components {
                if let Some(bytes) = save(&self.world, entity) {
                    components.push(((*name).to_owned(), bytes.map_err(codec(name))?));
                }
            }
            entities.push(EntityState { key, components });
        }
        let mut resources = Vec::new();
        for (name, save, _) in &registry.resources {
            if let Some(bytes) = save(&self.world) {
                resources.push(((*name).to_owned(), bytes.map_err(codec(name))?));
            }
        }
        let rec = self.world.resource::<Recorders>();
        let recorded = RecordedState {
            spikes: rec
                .spikes
                .iter()
                .map(|s| (s.name.clone(), s.steps.clone(), s.neurons.clone()))
                .collect(),
            states: rec
                .states
                .iter()
                .map(|s| (s.name.clone(), s.times_ms.clone(), s.values.clone()))
                .collect(),
            positions: rec.positions.clone(),
        };
        Ok(StateSnapshot {
            clock: self.clock(),
            seed: self.seed(),
            entities,
            resources,
            recorded,
        })
    }

    /// The recorders' saved contents fit this network's recorders: one entry per recorder, in
    /// order, parallel arrays of equal length, whole rows, neuron indices within their
    /// population, positions for every recorder.
    fn check_recorded(&self, recorded: &RecordedState) -> Result<(), SnapshotError> {
        let rec = self.world.resource::<Recorders>();
        let bad = |m: String| Err(SnapshotError::Mismatch(format!("recorders: {m}")));
        if recorded.spikes.len() != rec.spikes.len() || recorded.states.len() != rec.states.len() {
            return bad(format!(
                "{} spike and {} state recorders in the snapshot, {} and {} in the network",
                recorded.spikes.len(),
                recorded.states.len(),
                rec.spikes.len(),
                rec.states.len()
            ));
        }
        for ((population, steps, neurons), r) in recorded.spikes.iter().zip(&rec.spikes) {
            if *population != r.name || steps.len() != neurons.len() {
                return bad(format!("spike recorder of `{population}` does not fit"));
            }
            let size = r
                .entity
                .and_then(|e| self.world.get::<crate::population::Population>(e))
                .map_or(0, |p| p.size);
            if neurons.iter().any(|&n| n as usize >= size) {
                return bad(format!(
                    "spike recorder of `{population}`: neuron out of range"
                ));
            }
        }
        for ((name, times, values), r) in recorded.states.iter().zip(&rec.states) {
            if *name != r.name || times.len() * r.columns.len() != values.len() {
                return bad(format!("recorder `{name}` does not fit"));
            }
        }
        let p = &recorded.positions;
        if !(p.spikes.is_empty() || p.spikes.len() == rec.spikes.len())
            || !(p.rows.is_empty() || p.rows.len() == rec.states.len())
        {
            return bad("positions do not fit".into());
        }
        Ok(())
    }

    /// Overwrite the state of this (freshly built, same scene) network with `snapshot`.
    pub fn restore_state(&mut self, snapshot: &StateSnapshot) -> Result<(), SnapshotError> {
        if snapshot.seed != self.seed() {
            return Err(SnapshotError::Mismatch(format!(
                "seed {} in the snapshot, {} in the network",
                snapshot.seed,
                self.seed()
            )));
        }
        if snapshot.clock.dt_ms != self.dt_ms() {
            return Err(SnapshotError::Mismatch(format!(
                "dt {} ms in the snapshot, {} ms in the network",
                snapshot.clock.dt_ms,
                self.dt_ms()
            )));
        }
        let registry = self.world.resource::<SnapshotRegistry>().clone();
        let keyed = keyed_entities(self.world.resource::<NetworkIndex>());
        let mut saved_keys: Vec<&str> = snapshot.entities.iter().map(|s| s.key.as_str()).collect();
        saved_keys.sort_unstable();
        let mut network_keys: Vec<&str> = keyed.iter().map(|(k, _)| k.as_str()).collect();
        network_keys.sort_unstable();
        if saved_keys != network_keys {
            return Err(SnapshotError::Mismatch(format!(
                "the snapshot holds [{}], the network has [{}]",
                saved_keys.join(", "),
                network_keys.join(", ")
            )));
        }
        let load_error = |what: String| {
            move |e: LoadError| match e {
                LoadError::Codec(source) => SnapshotError::Codec { what, source },
                LoadError::Mismatch(m) => SnapshotError::Mismatch(format!("{what}: {m}")),
            }
        };
        for saved in &snapshot.entities {
            let entity = keyed
                .iter()
                .find(|(k, _)| *k == saved.key)
                .map(|(_, e)| *e)
                .ok_or_else(|| {
                    SnapshotError::Mismatch(format!("`{}` is not in the network", saved.key))
                })?;
            // Every state component the network has here must be in the snapshot, and no
            // other (a different model has different components).
            let mut expected: Vec<&str> = registry
                .components
                .iter()
                .filter(|(_, _, _, shape, _)| shape(&self.world, entity).is_some())
                .map(|(k, ..)| *k)
                .collect();
            expected.sort_unstable();
            let mut present: Vec<&str> = saved.components.iter().map(|(n, _)| n.as_str()).collect();
            present.sort_unstable();
            if expected != present {
                return Err(SnapshotError::Mismatch(format!(
                    "`{}`: the snapshot holds the state components [{}], the network's models have [{}] (a different model, or a damaged file)",
                    saved.key,
                    present.join(", "),
                    expected.join(", ")
                )));
            }
            for (name, bytes) in &saved.components {
                let (_, _, load, ..) = registry
                    .components
                    .iter()
                    .find(|(k, ..)| k == name)
                    .ok_or_else(|| {
                        SnapshotError::Mismatch(format!("component {name} is not registered"))
                    })?;
                load(&mut self.world, entity, bytes)
                    .map_err(load_error(format!("{} {name}", saved.key)))?;
            }
        }
        let mut names: Vec<&str> = snapshot.resources.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if names.len() != snapshot.resources.len() {
            return Err(SnapshotError::Mismatch("a resource is saved twice".into()));
        }
        for (name, bytes) in &snapshot.resources {
            let (_, _, load) = registry
                .resources
                .iter()
                .find(|(k, ..)| k == name)
                .ok_or_else(|| {
                    SnapshotError::Mismatch(format!("resource {name} is not registered"))
                })?;
            load(&mut self.world, bytes).map_err(load_error(name.clone()))?;
        }
        self.check_recorded(&snapshot.recorded)?;
        for (name, e) in &self.world.resource::<NetworkIndex>().populations {
            if let Some(spikes) = self.world.get::<crate::population::Spikes>(*e) {
                let flags = spikes.flags();
                if spikes
                    .indices()
                    .iter()
                    .any(|&i| !flags.get(i as usize).copied().unwrap_or(false))
                {
                    return Err(SnapshotError::Mismatch(format!(
                        "population/{name}: spike list does not fit the population"
                    )));
                }
            }
        }
        let mut rec = self.world.resource_mut::<Recorders>();
        for (population, steps, neurons) in &snapshot.recorded.spikes {
            let r = rec
                .spikes
                .iter_mut()
                .find(|r| &r.name == population)
                .ok_or_else(|| {
                    SnapshotError::Mismatch(format!("no spike recorder for `{population}`"))
                })?;
            r.steps.clone_from(steps);
            r.neurons.clone_from(neurons);
        }
        for (name, times, values) in &snapshot.recorded.states {
            let r = rec
                .states
                .iter_mut()
                .find(|r| &r.name == name)
                .ok_or_else(|| SnapshotError::Mismatch(format!("no recorder named `{name}`")))?;
            r.times_ms.clone_from(times);
            r.values.clone_from(values);
        }
        rec.positions.clone_from(&snapshot.recorded.positions);
        self.world
            .resource_mut::<crate::clock::SharedClock>()
            .set(snapshot.clock);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::clock::Clock;
    use crate::connectivity::{ConnectivitySpec, WeightInit};
    use crate::prelude::*;
    use crate::registry::ModelKind;
    use serde::{Deserialize, Serialize};

    /// Test input: each neuron spikes with probability 0.3 per step, from its per-step draws.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct Noisy;
    #[derive(Component, Serialize, Deserialize)]
    struct NoisyTag(Streams);
    impl Model for Noisy {
        const NAME: &'static str = "Noisy";
        const KIND: ModelKind = ModelKind::Input;
        const SUMMARY: &'static str = "test";
        fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
            let streams = ctx.streams("noisy");
            ctx.entity_mut().insert(NoisyTag(streams));
            Ok(())
        }
    }
    fn noisy(clock: Clock, mut q: Query<(&mut Spikes, &NoisyTag)>) {
        for (mut s, tag) in &mut q {
            s.clear();
            for i in 0..s.size() {
                if tag.0.uniform(i as u64, clock.step) <= 0.3 {
                    s.push(i);
                }
            }
        }
    }
    /// Test synapse: adds weights to `current`, and the weights grow on each arrival.
    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    struct Growing;
    #[derive(Component)]
    struct GrowingTag;
    impl Model for Growing {
        const NAME: &'static str = "Growing";
        const KIND: ModelKind = ModelKind::Synapse;
        const SUMMARY: &'static str = "test";
        fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
            ctx.entity_mut().insert(GrowingTag);
            Ok(())
        }
    }
    fn growing(
        mut q: Query<(&Projection, &Connectivity, &mut Weights, &Arrivals), With<GrowingTag>>,
        mut inputs: Query<&mut SynapticInput>,
    ) {
        for (p, c, mut w, a) in &mut q {
            let mut input = inputs.get_mut(p.post).unwrap();
            for &i in &a.pre {
                c.for_each_outgoing(i as usize, |s, j| {
                    input.current[j] += w.w[s];
                    w.w[s] *= 1.01;
                });
            }
        }
    }

    fn network() -> Simulation {
        let mut sim = Simulation::new(1.0, 99).unwrap();
        sim.add_plugins(|sim: &mut Simulation| {
            sim.register_model::<Noisy>().register_model::<Growing>();
            sim.add_systems(Stage::InputSpikes, noisy);
            sim.add_systems(Stage::CurrentIntegration, growing);
        });
        for name in ["a", "b"] {
            sim.add_population(PopulationSpec {
                name: name.into(),
                size: 20,
                model: Box::new(Noisy),
            })
            .unwrap();
        }
        let mut spec = ProjectionSpec::new(
            "ab",
            "a",
            "b",
            ConnectivitySpec::FixedProbability {
                p: 0.3,
                autapses: true,
            },
            WeightInit::Uniform {
                low: 0.0,
                high: 1.0,
            },
            Growing,
        );
        spec.delay_ms = 3.0;
        sim.add_projection(spec).unwrap();
        sim.add_recorder(&RecorderSpec::spikes("a")).unwrap();
        sim.add_recorder(&RecorderSpec::Weights {
            name: "w".into(),
            projection: "ab".into(),
            synapses: None,
            stride: 1,
        })
        .unwrap();
        sim
    }

    #[test]
    fn resume_is_bit_identical() {
        let mut straight = network();
        straight.run_steps(40);

        let mut first = network();
        first.run_steps(20);
        let bytes = first.save_state().unwrap().to_bytes().unwrap();
        let mut resumed = network();
        resumed
            .restore_state(&StateSnapshot::from_bytes(&bytes).unwrap())
            .unwrap();
        assert_eq!(resumed.clock().step, 20);
        resumed.run_steps(20);

        let (a, b) = (straight.recorders(), resumed.recorders());
        assert_eq!(a.spikes_of("a"), b.spikes_of("a"));
        assert!(a.spikes_of("a").unwrap().steps.len() > 100);
        assert_eq!(a.state("w").unwrap().values, b.state("w").unwrap().values);
        assert_eq!(
            straight.save_state().unwrap(),
            resumed.save_state().unwrap()
        );
    }

    #[test]
    fn restore_checks_the_network() {
        let first = network();
        let snap = first.save_state().unwrap();
        let mut other = Simulation::new(1.0, 5).unwrap();
        assert!(
            other
                .restore_state(&snap)
                .unwrap_err()
                .to_string()
                .contains("seed")
        );
        assert!(StateSnapshot::from_bytes(&[1, 2, 3]).is_err());
    }

    /// A sink that keeps what it is given, to compare with in-memory recording.
    #[derive(Default)]
    struct Collect {
        spikes: Vec<(u64, u32)>,
        rows: Vec<(f64, Vec<Real>)>,
        flushes: usize,
    }
    impl crate::record::RecordingSink for Collect {
        fn write_spikes(
            &mut self,
            _: &crate::record::SpikeRecording,
            _: f64,
            steps: &[u64],
            neurons: &[u32],
        ) -> std::io::Result<()> {
            self.spikes
                .extend(steps.iter().copied().zip(neurons.iter().copied()));
            Ok(())
        }
        fn write_rows(
            &mut self,
            rec: &crate::record::StateRecording,
            times: &[f64],
            values: &[Real],
        ) -> std::io::Result<()> {
            let n = rec.columns.len();
            for (r, t) in times.iter().enumerate() {
                self.rows.push((*t, values[r * n..(r + 1) * n].to_vec()));
            }
            Ok(())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.flushes += 1;
            Ok(())
        }
    }

    #[test]
    fn sink_receives_everything_with_bounded_buffers() {
        let mut memory = network();
        memory.run_steps(50);
        let mut streamed = network();
        let sink = std::sync::Arc::new(std::sync::Mutex::new(Collect::default()));
        streamed
            .world
            .resource_mut::<Recorders>()
            .set_sink(sink.clone(), 200);
        let mut max_buffered = 0;
        for _ in 0..50 {
            streamed.step();
            let rec = streamed.recorders();
            let held = rec.spikes[0].steps.len() * 2 + rec.states[0].values.len();
            max_buffered = max_buffered.max(held);
        }
        streamed.flush_recorders().unwrap();
        let got = sink.lock().unwrap();
        let spikes = memory.recorders().spikes_of("a").unwrap();
        let expected: Vec<_> = spikes
            .steps
            .iter()
            .copied()
            .zip(spikes.neurons.iter().copied())
            .collect();
        assert_eq!(got.spikes, expected);
        let w = memory.recorders().state("w").unwrap();
        assert_eq!(got.rows.len(), 50);
        assert_eq!(got.rows[49].1, w.row(49));
        assert!(got.flushes >= 2, "{}", got.flushes);
        assert!(
            max_buffered < 200 + 2 * w.columns.len() + 60,
            "{max_buffered}"
        );
        assert_eq!(streamed.recorders().positions.rows, vec![50]);
    }
}
