//! Checks that span several models of one projection, run once its synapse, short-term and
//! long-term models are attached.
//!
//! A model sees only its own params when it attaches; some mistakes show only in combination.
//! The first: a conductance synapse with a plasticity rule whose bounds let weights go below
//! zero. A negative conductance turns an excitatory synapse into a current that pulls the
//! membrane away from the reversal potential, which no neuron has. Synapse models whose weights
//! must stay non-negative insert [`NonNegativeWeights`]; plugins that can tell whether a
//! projection's weights can become negative (e.g. the plasticity crate, which knows the rules'
//! bounds) register a [`ProjectionCheck`] with
//! [`crate::simulation::Simulation::add_projection_check`]. A failing check is a build error
//! naming the projection.

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_ecs::world::World;

use crate::error::BuildError;

/// Marks a projection whose synapse model needs non-negative weights (e.g. a conductance).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonNegativeWeights {
    /// The synapse model that needs them, for messages (e.g. `Conductance`).
    pub synapse: &'static str,
    /// The param that lifts the requirement, for messages (e.g. `allow_negative_weights`).
    pub opt_out: &'static str,
}

/// A check of one projection entity, run after its models are attached.
pub type ProjectionCheck = fn(&World, Entity) -> Result<(), BuildError>;

/// The registered projection checks by name, run in registration order.
#[derive(Resource, Default, Clone)]
pub struct ProjectionChecks(pub Vec<(&'static str, ProjectionCheck)>);
