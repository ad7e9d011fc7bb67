//! # hebb_core — the engine
//!
//! The staged ECS engine every hebb model plugs into:
//!
//! - [`Simulation`](simulation::Simulation): a bevy_ecs `World` plus one per-step schedule whose systems are grouped in
//!   the seven [`Stage`](stage::Stage)s, chained once, always in the same order.
//! - [`Plugin`](plugin::Plugin): how models (hebb's own and third-party) add systems, resources and registry
//!   entries.
//! - [`registry`]: the name → params → spawn table scenes use to find models.
//! - [`population`] and [`projection`]: populations and projections are entities whose state is
//!   contiguous arrays, one component per concern.
//! - [`connectivity`]: dense and CSR connectivity (with a transposed index) and its generators.
//! - [`delays`]: per-synapse delays (drawn like weights, stored in one or two bytes).
//! - [`rng`]: counter-based random numbers keyed by (seed, object, purpose, neuron), so they do
//!   not depend on how the network is split.
//! - [`parallel`]: partitions by postsynaptic neuron and the [`parallel::Executor`] that runs
//!   them on threads, bit for bit like one thread.
//! - [`record`]: spike, state and weight recorders whose memory grows only with what is asked.
//! - [`initial`]: per-neuron initial values of any settable state variable (constant, list,
//!   `Uniform`, truncated `Normal`), drawn per neuron.
//! - [`per_neuron`]: neuron-model constants that differ per neuron (scene `per_neuron`), one
//!   value per constant when all neurons share it.
//! - [`table`]: numeric tables (CSV, NPY) that model params name, e.g. rate schedules.
//!
//! See `docs/ARCHITECTURE.md` at the repository root for the data flow of one step.

pub mod checks;
pub mod clock;
pub mod codegen;
pub mod connectivity;
pub mod delays;
pub mod error;
pub mod finite;
pub mod initial;
pub mod parallel;
pub mod param_range;
pub mod params;
pub mod per_neuron;
pub mod plugin;
pub mod population;
pub mod projection;
pub mod receptor;
pub mod record;
pub mod registry;
pub mod rng;
pub mod shape;
pub mod share;
pub mod simulation;
pub mod snapshot;
pub mod stage;
pub mod state_merge;
pub mod table;
pub mod view;

/// The floating-point type of every state array: `f32`, or `f64` with the `f64` cargo feature.
#[cfg(not(feature = "f64"))]
pub type Real = f32;
/// The floating-point type of every state array: `f32`, or `f64` with the `f64` cargo feature.
#[cfg(feature = "f64")]
pub type Real = f64;

pub use bevy_ecs;

/// Everything a model file or a user of the engine usually needs.
pub mod prelude {
    pub use crate::Real;
    pub use crate::checks::{NonNegativeWeights, ProjectionCheck};
    pub use crate::clock::Clock;
    pub use crate::connectivity::{Connectivity, ConnectivitySpec, Csr, WeightInit};
    pub use crate::error::{BuildError, ParamError};
    pub use crate::parallel::{Executor, block_range, row_block, split_blocks_mut};
    pub use crate::params::check;
    pub use crate::plugin::{Plugin, PluginGroup, PluginSet};
    pub use crate::population::{Membrane, Population, Spikes, SynapticInput};
    pub use crate::projection::{Arrivals, DelayLine, Projection, TransmissionScale, Weights};
    pub use crate::receptor::ReceptorInput;
    pub use crate::record::{RecorderSpec, Recorders, StateVariables};
    pub use crate::registry::{
        AttachContext, Model, ModelKind, ModelParams, ParamDoc, Registry, Target,
    };
    pub use crate::rng::{SimRng, Stream, Streams, stable_id};
    pub use crate::simulation::{PopulationSpec, ProjectionSpec, Simulation, Storage};
    pub use crate::snapshot::{SnapshotError, StateSnapshot};
    pub use crate::stage::Stage;
    pub use bevy_ecs::prelude::*;
}
