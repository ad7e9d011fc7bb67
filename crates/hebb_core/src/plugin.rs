//! Plugins: how models and users extend a [`Simulation`]. Names follow bevy_app
//! (`add_plugins`, `add_systems`, `insert_resource`), so hebb plugins read like Bevy plugins.

use crate::simulation::Simulation;

/// A unit of configuration: registers models, adds systems to stages, inserts resources.
pub trait Plugin: Send + Sync + 'static {
    /// Configure the simulation.
    fn build(&self, sim: &mut Simulation);

    /// A name for diagnostics; the type name by default.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }
}

impl<F: Fn(&mut Simulation) + Send + Sync + 'static> Plugin for F {
    fn build(&self, sim: &mut Simulation) {
        self(sim);
    }
}

/// Something `add_plugins` accepts: a plugin, a group, or a tuple of them.
pub trait PluginGroup {
    /// Add every plugin, in order.
    fn add_to(self, sim: &mut Simulation);
}

impl<P: Plugin> PluginGroup for P {
    fn add_to(self, sim: &mut Simulation) {
        sim.add_plugin(self);
    }
}

macro_rules! impl_group_tuple {
    ($($name:ident),+) => {
        impl<$($name: PluginGroup),+> PluginGroup for ($($name,)+) {
            #[expect(non_snake_case, reason = "macro-generated tuple bindings")]
            fn add_to(self, sim: &mut Simulation) {
                let ($($name,)+) = self;
                $($name.add_to(sim);)+
            }
        }
    };
}
impl_group_tuple!(A);
impl_group_tuple!(A, B);
impl_group_tuple!(A, B, C);
impl_group_tuple!(A, B, C, D);
impl_group_tuple!(A, B, C, D, E);
impl_group_tuple!(A, B, C, D, E, F);
impl_group_tuple!(A, B, C, D, E, F, G);
impl_group_tuple!(A, B, C, D, E, F, G, H);
impl_group_tuple!(A, B, C, D, E, F, G, H, I);
impl_group_tuple!(A, B, C, D, E, F, G, H, I, J);
impl_group_tuple!(A, B, C, D, E, F, G, H, I, J, K);
impl_group_tuple!(A, B, C, D, E, F, G, H, I, J, K, L);
