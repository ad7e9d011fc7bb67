//! The model registry: name → params schema → spawn.
//!
//! Every model, hebb's own and third-party alike, is a params type implementing [`Model`] and
//! registered with [`crate::simulation::Simulation::register_model`] by its plugin. Scenes refer to models
//! by name; the scene loader asks the registry to deserialize the params that follow the name
//! (so unknown fields are reported at their line and column) and later to attach the model's
//! components to a population or projection entity.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;

use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_ecs::world::{EntityWorldMut, World};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{BuildError, ParamError};
use crate::rng::{SimRng, Streams};

/// What a model attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelKind {
    /// A neuron model of a population (spikes in `NeuronStep`).
    Neuron,
    /// An input population model (spikes in `InputSpikes`: Poisson, spike sources, exact).
    Input,
    /// A stimulus attached to a population (e.g. a step current).
    Stimulus,
    /// A synapse output on a projection (Delta, Exponential, Conductance).
    Synapse,
    /// A short-term plasticity model on a projection.
    ShortTermPlasticity,
    /// A long-term plasticity rule on a projection.
    Plasticity,
    /// A reward (neuromodulator) source.
    Reward,
}

impl ModelKind {
    /// Lower-case name used in messages and listings.
    pub fn label(self) -> &'static str {
        match self {
            Self::Neuron => "neuron",
            Self::Input => "input",
            Self::Stimulus => "stimulus",
            Self::Synapse => "synapse",
            Self::ShortTermPlasticity => "short-term plasticity",
            Self::Plasticity => "plasticity",
            Self::Reward => "reward",
        }
    }
}

/// Documentation of one parameter: scene field name, unit and meaning. The default comes from
/// the params type's `Default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamDoc {
    /// Field name as written in scenes.
    pub name: &'static str,
    /// Unit (`ms`, `mV`, `Hz`, `1` for dimensionless, …).
    pub unit: &'static str,
    /// What it means.
    pub doc: &'static str,
}

/// What a model is attached to, with the sizes it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A population entity of `size` neurons (neuron and input models).
    Population {
        /// Number of neurons.
        size: usize,
    },
    /// A stimulus entity that drives `population`.
    Stimulus {
        /// The driven population entity.
        population: Entity,
        /// Its size.
        size: usize,
    },
    /// A projection entity.
    Projection {
        /// Presynaptic population entity.
        pre: Entity,
        /// Postsynaptic population entity.
        post: Entity,
        /// Presynaptic size.
        n_pre: usize,
        /// Postsynaptic size.
        n_post: usize,
        /// Number of synapses.
        n_synapses: usize,
    },
    /// The network as a whole (reward sources).
    Network,
}

/// Everything a model needs to attach its components.
pub struct AttachContext<'w> {
    /// The world being built.
    pub world: &'w mut World,
    /// The entity to attach to.
    pub entity: Entity,
    /// Name of the owner (population, projection or stimulus), for messages and RNG streams.
    pub name: String,
    /// Time step in ms.
    pub dt_ms: f64,
    /// What the entity is.
    pub target: Target,
    /// Tags of deferred systems this attachment needs besides the model's own
    /// ([`AttachContext::use_systems`]).
    pub(crate) system_tags: Vec<&'static str>,
    /// Whether the systems placed for the model's whole kind are needed
    /// ([`AttachContext::without_kind_systems`]).
    pub(crate) kind_systems: bool,
}

impl AttachContext<'_> {
    /// The entity to attach to.
    pub fn entity_mut(&mut self) -> EntityWorldMut<'_> {
        self.world.entity_mut(self.entity)
    }

    /// Install the systems placed with
    /// [`Simulation::add_systems_for(&[tag], …)`](crate::simulation::Simulation::add_systems_for)
    /// because of this attachment, as if a model named `tag` were used. A model whose options
    /// need a system that its other options do not (e.g. `Song2000`'s BrainPy timing, which
    /// updates before transmission) places that system under its own tag and asks for it here,
    /// so a network pays per step only for the options it uses.
    pub fn use_systems(&mut self, tag: &'static str) {
        if !self.system_tags.contains(&tag) {
            self.system_tags.push(tag);
        }
    }

    /// This attachment does itself what the systems placed for its model's whole kind
    /// ([`Simulation::add_systems_for_kinds`](crate::simulation::Simulation::add_systems_for_kinds))
    /// would do, so it does not install them: e.g. a plasticity rule whose own system applies
    /// its projection's accumulated weight changes does not need the shared weight-update
    /// system. Another attachment of the kind that does not say so still installs them.
    pub fn without_kind_systems(&mut self) {
        self.kind_systems = false;
    }

    /// The random streams of this owner for `purpose` (one per neuron), derived from the scene
    /// seed: `ctx.streams("v_init").stream(i)` for neuron `i` at build time, or keep the
    /// [`Streams`] in the model's state and call `streams.uniform(i, step)` /
    /// `streams.normal(i, step)` at run time. See [`crate::rng`].
    pub fn streams(&self, purpose: &str) -> Streams {
        self.world.resource::<SimRng>().streams(&self.name, purpose)
    }

    /// The population size, or an error naming the model when attached elsewhere.
    pub fn population_size(&self, model: &str) -> Result<usize, BuildError> {
        match self.target {
            Target::Population { size } | Target::Stimulus { size, .. } => Ok(size),
            _ => Err(BuildError::Invalid(format!(
                "`{model}` attaches to a population, not to `{}`",
                self.name
            ))),
        }
    }

    /// `(pre, post, n_pre, n_post, n_synapses)`, or an error when not on a projection.
    pub fn projection(&self, model: &str) -> Result<ProjectionShape, BuildError> {
        match self.target {
            Target::Projection {
                pre,
                post,
                n_pre,
                n_post,
                n_synapses,
            } => Ok(ProjectionShape {
                pre,
                post,
                n_pre,
                n_post,
                n_synapses,
            }),
            _ => Err(BuildError::Invalid(format!(
                "`{model}` attaches to a projection, not to `{}`",
                self.name
            ))),
        }
    }
}

/// Sizes and endpoints of a projection, for models attaching to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectionShape {
    /// Presynaptic population entity.
    pub pre: Entity,
    /// Postsynaptic population entity.
    pub post: Entity,
    /// Presynaptic size.
    pub n_pre: usize,
    /// Postsynaptic size.
    pub n_post: usize,
    /// Number of synapses.
    pub n_synapses: usize,
}

/// A model's params type. Implement this (plus serde and `Default`) and register the type in
/// your plugin; scenes can then use the model by `NAME`.
pub trait Model:
    Serialize + DeserializeOwned + Default + Clone + Debug + Send + Sync + 'static
{
    /// The name scenes use.
    const NAME: &'static str;
    /// What it attaches to.
    const KIND: ModelKind;
    /// One line for listings.
    const SUMMARY: &'static str;
    /// Parameter table (name, unit, meaning).
    const PARAMS: &'static [ParamDoc] = &[];
    /// Whether the model reads the broadcast reward (a three-factor rule). A scene that uses
    /// such a model without a `reward:` source is an error: the reward would be 0 at every
    /// step and the rule would never learn.
    const USES_REWARD: bool = false;

    /// Check every parameter; errors name the field and the given value.
    fn validate(&self) -> Result<(), ParamError> {
        Ok(())
    }

    /// What the parameters select, in words, when it is not obvious from their values (e.g.
    /// the sign mode of a pair rule); `hebb check` prints it after the model's name. `None`
    /// (the default): nothing to add.
    fn describe(&self) -> Option<String> {
        None
    }

    /// Add the model's components to `ctx.entity` (called after `validate`).
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError>;

    /// The params a population may give per neuron (scene `per_neuron: {"v_threshold_mv":
    /// …}`, stored in [`crate::initial::NeuronParams`]). Each must be reachable through
    /// [`Model::per_neuron_field`]. Default: none.
    const PER_NEURON: &'static [&'static str] = &[];

    /// The field of `param` (one of [`Model::PER_NEURON`]), so that each neuron's params can
    /// be written and validated as a whole ([`crate::initial::NeuronParams::each_neuron`]).
    /// Default: none.
    fn per_neuron_field(&mut self, _param: &str) -> Option<&mut f64> {
        None
    }

    /// Called after [`Model::attach`] when the population gives some params per neuron:
    /// check every neuron's params and attach what the kernel reads instead of the homogeneous
    /// constants (see [`crate::per_neuron`]), and per-neuron initial state that derives from
    /// params (e.g. `v` starting at each neuron's resting potential). Default: nothing (a model
    /// with an empty [`Model::PER_NEURON`] is never called).
    fn attach_per_neuron(
        &self,
        _ctx: &mut AttachContext<'_>,
        _per_neuron: &crate::initial::NeuronParams,
    ) -> Result<(), BuildError> {
        Ok(())
    }
}

/// Type-erased model params, as held by scenes and network descriptions.
pub trait ModelParams: erased_serde::Serialize + Debug + Send + Sync + 'static {
    /// Registered name.
    fn model_name(&self) -> &'static str;
    /// Kind.
    fn kind(&self) -> ModelKind;
    /// [`Model::validate`], then every floating-point parameter against the `f32` range of
    /// the state ([`crate::param_range::check_f32_range`]).
    fn validate(&self) -> Result<(), ParamError>;
    /// See [`Model::USES_REWARD`].
    fn uses_reward(&self) -> bool;
    /// See [`Model::describe`].
    fn describe(&self) -> Option<String>;
    /// See [`Model::PER_NEURON`].
    fn per_neuron(&self) -> &'static [&'static str];
    /// See [`Model::attach_per_neuron`].
    fn attach_per_neuron(
        &self,
        ctx: &mut AttachContext<'_>,
        per_neuron: &crate::initial::NeuronParams,
    ) -> Result<(), BuildError>;
    /// See [`Model::attach`].
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError>;
    /// Clone into a box.
    fn clone_box(&self) -> Box<dyn ModelParams>;
    /// Downcast support.
    fn as_any(&self) -> &dyn Any;
}

erased_serde::serialize_trait_object!(ModelParams);

impl<T: Model> ModelParams for T {
    fn model_name(&self) -> &'static str {
        T::NAME
    }
    fn kind(&self) -> ModelKind {
        T::KIND
    }
    fn validate(&self) -> Result<(), ParamError> {
        Model::validate(self)?;
        crate::param_range::check_f32_range(self)
    }
    fn uses_reward(&self) -> bool {
        T::USES_REWARD
    }
    fn describe(&self) -> Option<String> {
        Model::describe(self)
    }
    fn per_neuron(&self) -> &'static [&'static str] {
        T::PER_NEURON
    }
    fn attach_per_neuron(
        &self,
        ctx: &mut AttachContext<'_>,
        per_neuron: &crate::initial::NeuronParams,
    ) -> Result<(), BuildError> {
        Model::attach_per_neuron(self, ctx, per_neuron)
    }
    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        Model::attach(self, ctx)
    }
    fn clone_box(&self) -> Box<dyn ModelParams> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Clone for Box<dyn ModelParams> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Deserializes a model's params from any serde deserializer.
pub type DeserializeFn = fn(
    &mut dyn erased_serde::Deserializer<'_>,
) -> Result<Box<dyn ModelParams>, erased_serde::Error>;

/// One registered model.
#[derive(Clone)]
pub struct ModelEntry {
    /// Name used in scenes.
    pub name: &'static str,
    /// Kind.
    pub kind: ModelKind,
    /// One line summary.
    pub summary: &'static str,
    /// Parameter docs.
    pub params: &'static [ParamDoc],
    /// The params' defaults.
    pub defaults: fn() -> Box<dyn ModelParams>,
    /// Deserialize params (unknown fields rejected by the type).
    pub deserialize: DeserializeFn,
    /// The Rust type name of the params (for diagnostics).
    pub type_name: &'static str,
}

impl Debug for ModelEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelEntry")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("type_name", &self.type_name)
            .finish()
    }
}

impl ModelEntry {
    /// The entry of params type `T`.
    pub fn of<T: Model>() -> Self {
        Self {
            name: T::NAME,
            kind: T::KIND,
            summary: T::SUMMARY,
            params: T::PARAMS,
            defaults: || Box::new(T::default()),
            deserialize: |de| Ok(Box::new(erased_serde::deserialize::<T>(de)?)),
            type_name: std::any::type_name::<T>(),
        }
    }
}

/// All registered models, by kind and name.
#[derive(Resource, Debug, Default, Clone)]
pub struct Registry {
    entries: BTreeMap<String, ModelEntry>,
}

impl Registry {
    /// Register `entry`. Registering the same params type twice is a no-op; another type under
    /// an existing name is an error.
    pub fn register(&mut self, entry: ModelEntry) -> Result<(), BuildError> {
        if let Some(existing) = self.entries.get(entry.name) {
            if existing.type_name == entry.type_name {
                return Ok(());
            }
            return Err(BuildError::Invalid(format!(
                "model name `{}` is registered twice ({} and {})",
                entry.name, existing.type_name, entry.type_name
            )));
        }
        self.entries.insert(entry.name.to_owned(), entry);
        Ok(())
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&ModelEntry> {
        self.entries.get(name)
    }

    /// The entry named `name`, checked to be of one of `kinds`, or an error listing the
    /// registered names of those kinds.
    pub fn lookup(&self, name: &str, kinds: &[ModelKind]) -> Result<&ModelEntry, BuildError> {
        match self.entries.get(name) {
            Some(e) if kinds.contains(&e.kind) => Ok(e),
            Some(e) => Err(BuildError::WrongKind {
                name: name.to_owned(),
                expected: kinds
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" or "),
                actual: e.kind.label().to_owned(),
            }),
            None => Err(BuildError::UnknownModel {
                kind: kinds
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" or "),
                name: name.to_owned(),
                known: self.names(kinds).join(", "),
            }),
        }
    }

    /// Registered names of the given kinds, sorted.
    pub fn names(&self, kinds: &[ModelKind]) -> Vec<&'static str> {
        self.entries
            .values()
            .filter(|e| kinds.contains(&e.kind))
            .map(|e| e.name)
            .collect()
    }

    /// Every entry, sorted by name.
    pub fn entries(&self) -> impl Iterator<Item = &ModelEntry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Dummy {
        tau_ms: f64,
    }
    impl Model for Dummy {
        const NAME: &'static str = "Dummy";
        const KIND: ModelKind = ModelKind::Neuron;
        const SUMMARY: &'static str = "test";
        fn attach(&self, _ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
            Ok(())
        }
    }

    #[test]
    fn lookup_errors_list_names() {
        let mut r = Registry::default();
        r.register(ModelEntry::of::<Dummy>()).unwrap();
        r.register(ModelEntry::of::<Dummy>()).unwrap();
        assert!(r.lookup("Dummy", &[ModelKind::Neuron]).is_ok());
        let e = r
            .lookup("Lif2", &[ModelKind::Neuron])
            .unwrap_err()
            .to_string();
        assert!(e.contains("Lif2") && e.contains("Dummy"), "{e}");
        let e = r
            .lookup("Dummy", &[ModelKind::Synapse])
            .unwrap_err()
            .to_string();
        assert!(e.contains("neuron model"), "{e}");
    }
}
