//! # hebb_python — the `hebb._hebb` extension module
//!
//! A thin layer over [`hebb_scene`] and [`hebb_core`]: scenes are parsed, validated and built
//! exactly as the `hebb` command does it, runs step the same [`Simulation`], and recordings are
//! handed to numpy as whole arrays (one copy, no per-value Python objects). The pure-Python
//! package `hebb` (in `python/hebb/`) wraps this module into the user API (`hebb.load`,
//! `hebb.Network`, `hebb.models`).
//!
//! The models a module knows are those of the plugins given to [`init_module`]: the default
//! module registers [`hebb::DefaultPlugins`]; a crate with its own Rust models builds the same
//! module with its plugins added (see `python/README.md`).
//!
//! Nothing panics across the boundary: every error is a Python exception (`hebb.SceneError`,
//! `hebb.BuildError`, `ValueError`, `KeyError`), and a panic inside a run is caught and raised
//! as `hebb.HebbError`.

mod errors;
mod models;
mod sim;

use std::sync::OnceLock;

use hebb_core::registry::Registry;
use hebb_core::simulation::Simulation;
use pyo3::prelude::*;

pub use errors::{BuildError, HebbError, SceneError};
pub use sim::PySimulation;

/// The plugins of this module: a function that adds every model plugin to a simulation.
pub type PluginsFn = fn(&mut Simulation);

static PLUGINS: OnceLock<PluginsFn> = OnceLock::new();
static REGISTRY: OnceLock<Registry> = OnceLock::new();

fn default_plugins(sim: &mut Simulation) {
    sim.add_plugins(hebb::DefaultPlugins);
}

/// The plugins every scene of this module is parsed and built with.
pub(crate) fn plugins() -> PluginsFn {
    *PLUGINS.get_or_init(|| default_plugins)
}

/// The model registry of [`plugins`] (built once).
pub(crate) fn registry() -> &'static Registry {
    REGISTRY.get_or_init(|| hebb_scene::registry_of(plugins()))
}

/// Fill module `m` with hebb's classes and functions, its models being those `plugins` adds
/// (e.g. `|sim| { sim.add_plugins((hebb::DefaultPlugins, MyPlugin)); }`).
///
/// Call it once per process, from the `#[pymodule]` function of a crate named `_hebb`; a second
/// call is an error.
pub fn init_module(m: &Bound<'_, PyModule>, plugins: PluginsFn) -> PyResult<()> {
    if PLUGINS.set(plugins).is_err() {
        return Err(HebbError::new_err(
            "hebb._hebb is already initialised in this process",
        ));
    }
    let py = m.py();
    m.add("HebbError", py.get_type::<HebbError>())?;
    m.add("SceneError", py.get_type::<SceneError>())?;
    m.add("BuildError", py.get_type::<BuildError>())?;
    m.add_class::<PySimulation>()?;
    m.add_function(wrap_pyfunction!(sim::load_scene, m)?)?;
    m.add_function(wrap_pyfunction!(sim::parse_scene, m)?)?;
    m.add_function(wrap_pyfunction!(sim::resume_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(sim::canonical_scene, m)?)?;
    m.add_function(wrap_pyfunction!(models::model_table, m)?)?;
    m.add_function(wrap_pyfunction!(models::model_ron, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("REAL_DTYPE", std::any::type_name::<hebb_core::Real>())?;
    Ok(())
}

/// The default module: every built-in model.
#[cfg(feature = "default-module")]
#[pymodule]
fn _hebb(m: &Bound<'_, PyModule>) -> PyResult<()> {
    init_module(m, default_plugins)
}
