//! `&Executor` as a system parameter: the World's [`Executor`] without a resource lookup per
//! step.
//!
//! A system that takes `executor: &Executor` (instead of `&Executor`) keeps a copy of the
//! executor (a pointer to the thread pool and the rank) from its initialization and checks one
//! shared counter per run: the [`SharedExecutor`]'s generation, which
//! [`Simulation::set_threads`](crate::simulation::Simulation::set_threads) and
//! [`Simulation::set_rank`](crate::simulation::Simulation::set_rank) advance when they replace
//! the executor. That costs two loads per step, where fetching a resource (an entity in bevy
//! 0.20) costs about a hundred instructions: a few percent of a step of a small network such as
//! Song et al. (2000)'s, whose neuron and synapse systems each take the executor.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bevy_ecs::change_detection::Tick;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{
    ReadOnlySystemParam, SystemAccess, SystemMeta, SystemParam, SystemParamValidationError,
};
use bevy_ecs::world::World;
use bevy_ecs::world::unsafe_world_cell::UnsafeWorldCell;

use super::Executor;

/// The executor that systems taking `&Executor` use, shared with the simulation (a resource,
/// next to the [`Executor`] resource, which holds the same value). Replace the executor with
/// [`SharedExecutor::set`] (as `Simulation::set_threads` does), never by inserting a new
/// `SharedExecutor`: systems keep the handle they got at their initialization.
#[derive(Resource, Clone, Default)]
pub struct SharedExecutor(Arc<ExecutorCell>);

#[derive(Default)]
struct ExecutorCell {
    /// How many times the executor was replaced.
    generation: AtomicU64,
    executor: Mutex<Executor>,
}

impl SharedExecutor {
    /// The current executor (a clone: a pointer to the pool and the rank).
    pub fn get(&self) -> Executor {
        self.0
            .executor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Replace the executor: every system taking `&Executor` uses `executor` from its next run
    /// on.
    pub fn set(&mut self, executor: Executor) {
        *self
            .0
            .executor
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = executor;
        self.0.generation.fetch_add(1, Ordering::Release);
    }

    #[inline]
    fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }
}

impl std::fmt::Debug for SharedExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedExecutor").field(&self.get()).finish()
    }
}

/// What a system taking `&Executor` keeps: the shared executor, the generation it copied and
/// its copy.
pub struct ExecutorParamState {
    shared: SharedExecutor,
    seen: u64,
    executor: Executor,
}

// SAFETY: `&Executor` reads no World data when a system runs (`init_access` registers nothing
// and `get_param` does not touch the World): it returns the state's copy, refreshed from the
// `SharedExecutor` (behind a mutex) when that was replaced since.
unsafe impl SystemParam for &'_ Executor {
    type State = ExecutorParamState;
    type Item<'world, 'state> = &'state Executor;

    fn init_state(world: &mut World) -> Self::State {
        let shared = world.get_resource_or_init::<SharedExecutor>().clone();
        let seen = shared.generation();
        let executor = shared.get();
        ExecutorParamState {
            shared,
            seen,
            executor,
        }
    }

    fn init_access(
        _state: &Self::State,
        _system_meta: &mut SystemMeta,
        _system_access: &mut SystemAccess,
        _world: &mut World,
    ) {
    }

    #[inline]
    unsafe fn get_param<'world, 'state>(
        state: &'state mut Self::State,
        _system_meta: &SystemMeta,
        _world: UnsafeWorldCell<'world>,
        _change_tick: Tick,
    ) -> Result<Self::Item<'world, 'state>, SystemParamValidationError> {
        let generation = state.shared.generation();
        if generation != state.seen {
            state.executor = state.shared.get();
            state.seen = generation;
        }
        Ok(&state.executor)
    }
}

// SAFETY: `get_param` reads nothing of the World (see the `SystemParam` impl).
unsafe impl ReadOnlySystemParam for &'_ Executor {}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_ecs::system::{IntoSystem, ResMut, System};

    #[derive(Resource, Default)]
    struct Seen(Vec<usize>);

    fn look(executor: &Executor, mut seen: ResMut<Seen>) {
        seen.0.push(executor.threads() * 10 + executor.ranks());
    }

    #[test]
    fn systems_see_the_executor_that_replaced_theirs() {
        let mut world = World::new();
        world.init_resource::<Seen>();
        let mut system = IntoSystem::into_system(look);
        system.initialize(&mut world);
        system.run((), &mut world).unwrap();
        let two_ranks = Executor::default().with_rank(1, 2).unwrap();
        world.resource_mut::<SharedExecutor>().set(two_ranks);
        system.run((), &mut world).unwrap();
        system.run((), &mut world).unwrap();
        world
            .resource_mut::<SharedExecutor>()
            .set(Executor::new(2).unwrap());
        system.run((), &mut world).unwrap();
        assert_eq!(world.resource::<Seen>().0, [11, 12, 12, 21]);
    }
}
