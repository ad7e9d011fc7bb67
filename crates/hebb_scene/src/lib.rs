//! # hebb_scene — RON scene files
//!
//! A scene is a whole experiment in one RON file: time step, duration, seed, populations,
//! projections, stimuli, an optional reward source and recorders. Models are written as their
//! registered name followed by their params (`Lif(tau_m_ms: 20.0)`; `Exact` or `Exact()` for all
//! defaults) and looked up in the model [`Registry`](hebb_core::registry::Registry), so
//! third-party models work exactly like built-in ones: register them in a plugin and pass that
//! plugin here.
//!
//! ```ron
//! // What this scene shows, and its reference.
//! (
//!     version: 1,
//!     dt_ms: 0.1,
//!     duration_ms: 1000.0,
//!     seed: 42,
//!     populations: [
//!         (name: "input", size: 100, model: Poisson(rate_hz: 15.0)),
//!         (name: "exc", size: 400, model: Lif(tau_m_ms: 20.0)),
//!     ],
//!     projections: [(
//!         name: "input_to_exc", from: "input", to: "exc",
//!         connectivity: FixedProbability(p: 0.1),
//!         weights: Uniform(low: 0.0, high: 0.5),
//!         synapse: Conductance(tau_ms: 5.0, e_rev_mv: 0.0),
//!         delay_ms: 1.0,
//!     )],
//!     recorders: [Spikes(population: "exc")],
//! )
//! ```
//!
//! Reading is strict: `version: 1` is required, unknown fields are rejected everywhere
//! (including inside model params), `implicit_some` is on (`Some(x)` may be written `x`).
//! Every error says where (`file:line:column`), which element, what is wrong and what was
//! given; see [`SceneError`].
//!
//! ```no_run
//! # fn main() -> Result<(), hebb_scene::SceneError> {
//! # struct DefaultPlugins;
//! # impl hebb_core::plugin::Plugin for DefaultPlugins {
//! #     fn build(&self, _: &mut hebb_core::simulation::Simulation) {}
//! # }
//! use hebb_scene::{Scene, registry_of};
//! let scene = Scene::load("scenes/poisson_lif_conductance.ron", &registry_of(DefaultPlugins))?;
//! let mut sim = scene.build(DefaultPlugins)?;
//! sim.run_steps(scene.steps()?);
//! # Ok(()) }
//! ```
//!
//! A loaded scene can be written back ([`Scene::to_ron`], [`Scene::save`]); reading it again
//! gives the same network.

mod build;
mod context;
mod error;
mod model;
mod scene;
pub mod set;
mod snapshot;

pub use build::BuildOptions;
pub use context::{Spanned, scene_options};
pub use error::{Position, SceneError, SceneErrorKind};
pub use model::ModelSpec;
pub use scene::{
    DEFAULT_DT_MS, InputDef, Origin, PopulationDef, ProjectionDef, SCENE_VERSION, Scene,
    registry_of,
};
pub use set::{AppliedSets, SceneSet, apply_sets};
pub use snapshot::{
    SNAPSHOT_FORMAT, SNAPSHOT_MAGIC, Snapshot, load_snapshot, parse_snapshot, save_snapshot,
    save_snapshot_state,
};

use hebb_core::plugin::PluginGroup;
use hebb_core::simulation::Simulation;

/// Load the scene at `path` with the models of `plugins()` and build it.
///
/// `plugins` is called twice: once for the registry the parser looks model names up in, once
/// for the simulation (e.g. `|| DefaultPlugins`).
pub fn load_and_build<P: PluginGroup>(
    path: impl AsRef<std::path::Path>,
    plugins: impl Fn() -> P,
) -> Result<(Scene, Simulation), SceneError> {
    let scene = Scene::load(path, &registry_of(plugins()))?;
    let sim = scene.build(plugins())?;
    Ok((scene, sim))
}

/// The crate's public types.
pub mod prelude {
    pub use crate::{
        InputDef, ModelSpec, PopulationDef, ProjectionDef, Scene, SceneError, load_and_build,
        registry_of,
    };
}

#[cfg(test)]
mod tests;
