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

/// Plugins that can configure any number of simulations: a plugin or a tuple of them, kept by
/// value and added by reference. The `hebb` command needs this (it builds one simulation to
/// parse a scene's model names and another to run it); `hebb_cli::main_with` takes one.
pub trait PluginSet: Send + Sync + 'static {
    /// Add every plugin to `sim`, in order (each unique by name, as
    /// [`Simulation::add_plugin`]).
    fn add_to_simulation(&self, sim: &mut Simulation);
}

impl<P: Plugin> PluginSet for P {
    fn add_to_simulation(&self, sim: &mut Simulation) {
        sim.add_plugin_ref(self);
    }
}

macro_rules! impl_set_tuple {
    ($($name:ident),+) => {
        impl<$($name: PluginSet),+> PluginSet for ($($name,)+) {
            #[expect(non_snake_case, reason = "macro-generated tuple bindings")]
            fn add_to_simulation(&self, sim: &mut Simulation) {
                let ($($name,)+) = self;
                $($name.add_to_simulation(sim);)+
            }
        }
    };
}
impl_set_tuple!(A);
impl_set_tuple!(A, B);
impl_set_tuple!(A, B, C);
impl_set_tuple!(A, B, C, D);
impl_set_tuple!(A, B, C, D, E);
impl_set_tuple!(A, B, C, D, E, F);
impl_set_tuple!(A, B, C, D, E, F, G);
impl_set_tuple!(A, B, C, D, E, F, G, H);

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter;
    impl Plugin for Counter {
        fn build(&self, sim: &mut Simulation) {
            let n = sim.world.get_resource::<Count>().map_or(0, |c| c.0);
            sim.world.insert_resource(Count(n + 1));
        }
    }
    #[derive(bevy_ecs::resource::Resource)]
    struct Count(u32);

    #[test]
    fn a_plugin_set_configures_several_simulations_once_each() {
        let set = (Counter, |sim: &mut Simulation| {
            sim.world.insert_resource(Marker);
        });
        for _ in 0..2 {
            let mut sim = Simulation::new(0.1, 0).unwrap();
            set.add_to_simulation(&mut sim);
            set.add_to_simulation(&mut sim);
            assert_eq!(sim.world.resource::<Count>().0, 1, "unique by name");
            assert!(sim.world.contains_resource::<Marker>());
        }
    }
    #[derive(bevy_ecs::resource::Resource)]
    struct Marker;
}
