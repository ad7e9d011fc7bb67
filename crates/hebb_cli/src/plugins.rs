//! The models a `hebb` command knows: hebb's [`DefaultPlugins`] plus, for a plugin crate's own
//! binary, that crate's plugins ([`crate::main_with`]).
//!
//! Every command needs the plugins more than once (`run` builds a registry to parse the scene
//! and a simulation to run it; `resume` the same from a snapshot; `list` the registry), so they
//! are kept as a [`PluginSet`] behind an [`Arc`] and added by reference each time.

use std::sync::Arc;

use hebb::DefaultPlugins;
use hebb_core::plugin::{Plugin, PluginSet};
use hebb_core::registry::Registry;
use hebb_core::simulation::Simulation;
use hebb_scene::registry_of;

/// The plugins every command of one `hebb` binary uses. Cheap to clone.
#[derive(Clone)]
pub struct Plugins {
    set: Arc<dyn PluginSet>,
}

impl std::fmt::Debug for Plugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugins").finish_non_exhaustive()
    }
}

impl Default for Plugins {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Plugins {
    /// hebb's built-in models only (the `hebb` binary).
    pub fn builtin() -> Self {
        Self {
            set: Arc::new(DefaultPlugins),
        }
    }

    /// `user` (a plugin or a tuple of plugins), then [`DefaultPlugins`].
    ///
    /// The user's plugins come first so that a rule's system is placed in `Stage::Plasticity`
    /// before hebb's one weight-update system (the last plugin of `DefaultPlugins`), which then
    /// applies the rule's changes in the same step. A user model with the name of a built-in one
    /// stops the program at registration with that name (never a silent replacement).
    pub fn with(user: impl PluginSet) -> Self {
        Self {
            set: Arc::new((user, DefaultPlugins)),
        }
    }

    /// The registry of every model these plugins register (scenes are parsed against it).
    pub fn registry(&self) -> Registry {
        registry_of(self.clone())
    }
}

/// Adding `Plugins` to a simulation adds its set, each plugin unique by name.
impl Plugin for Plugins {
    fn build(&self, sim: &mut Simulation) {
        self.set.add_to_simulation(sim);
    }

    fn name(&self) -> &str {
        "hebb_cli::Plugins"
    }
}
