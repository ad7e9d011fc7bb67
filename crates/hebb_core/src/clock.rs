//! The simulation clock.
//!
//! A system reads the clock by taking a [`Clock`] parameter (`fn my_system(clock: Clock, …)`),
//! not `Res<Clock>`: the clock is not a resource. Its value lives in a [`SharedClock`] that
//! [`crate::simulation::Simulation`] advances after every step, and each system keeps a handle
//! to it from its initialization, so reading the clock costs two loads per step, where fetching a
//! resource (an entity in bevy 0.20) costs about a hundred instructions and the increment through
//! `World::resource_mut` about two hundred. That is a tenth of a step of a small network such as
//! Song et al. (2000)'s (`docs/performance.md`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bevy_ecs::change_detection::Tick;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{
    ReadOnlySystemParam, SystemAccess, SystemMeta, SystemParam, SystemParamValidationError,
};
use bevy_ecs::world::World;
use bevy_ecs::world::unsafe_world_cell::UnsafeWorldCell;

/// Time step and step index. Step `k` covers the time `[k·dt, (k+1)·dt)`; values recorded after
/// step `k` carry the time stamp `t_ms = k·dt`.
///
/// Also a system parameter: a system that takes `clock: Clock` gets the current value, read from
/// the World's [`SharedClock`] through a handle the system keeps from its initialization (no
/// lookup per step). Outside systems, [`Simulation::clock`](crate::simulation::Simulation::clock)
/// or [`SharedClock::get`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Clock {
    /// Time step in ms.
    pub dt_ms: f64,
    /// Index of the step being computed (during a step) or of the next step (between steps).
    pub step: u64,
}

impl Clock {
    /// A clock at step 0.
    pub fn new(dt_ms: f64) -> Self {
        Self { dt_ms, step: 0 }
    }

    /// `step · dt` in ms.
    pub fn time_ms(&self) -> f64 {
        self.step as f64 * self.dt_ms
    }

    /// The number of whole steps in `ms`, or `None` when `ms` is negative or not on the dt grid
    /// (relative tolerance 1e-9).
    pub fn steps_in(&self, ms: f64) -> Option<u64> {
        steps_on_grid(ms, self.dt_ms)
    }
}

/// The World's clock (a resource): one value shared by the [`crate::simulation::Simulation`],
/// which advances it after every step, and by every system that takes a [`Clock`] parameter,
/// each of which keeps a handle to it from its initialization. So a World has one for good:
/// inserted by `Simulation::new` (or by a test that runs systems on a World of its own),
/// changed with [`SharedClock::set`], never replaced (systems initialized before would keep
/// reading the old one).
#[derive(Resource, Clone, Debug)]
pub struct SharedClock(Arc<ClockCell>);

/// The clock's two numbers, as atomics so that the handles can be shared by systems on any
/// thread (plain loads and stores on x86-64 and AArch64: only one place writes, between steps).
#[derive(Debug)]
struct ClockCell {
    dt_ms_bits: AtomicU64,
    step: AtomicU64,
}

impl SharedClock {
    /// A shared clock holding `clock`.
    pub fn new(clock: Clock) -> Self {
        Self(Arc::new(ClockCell {
            dt_ms_bits: AtomicU64::new(clock.dt_ms.to_bits()),
            step: AtomicU64::new(clock.step),
        }))
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> Clock {
        Clock {
            dt_ms: f64::from_bits(self.0.dt_ms_bits.load(Ordering::Relaxed)),
            step: self.0.step.load(Ordering::Relaxed),
        }
    }

    /// Set the clock (every system sees the new value from its next run on).
    pub fn set(&mut self, clock: Clock) {
        self.0
            .dt_ms_bits
            .store(clock.dt_ms.to_bits(), Ordering::Relaxed);
        self.0.step.store(clock.step, Ordering::Relaxed);
    }

    /// One step on (by the simulation after each step; only one place advances a clock).
    #[inline]
    pub(crate) fn advance(&mut self) {
        let step = self.0.step.load(Ordering::Relaxed);
        self.0.step.store(step + 1, Ordering::Relaxed);
    }
}

// SAFETY: `Clock` reads no World data when a system runs (`init_access` registers nothing and
// `get_param` does not touch the World): it copies the value of the `SharedClock` whose handle
// `init_state` took. The value is atomic, so reading it races with nothing.
unsafe impl SystemParam for Clock {
    type State = SharedClock;
    type Item<'world, 'state> = Clock;

    fn init_state(world: &mut World) -> Self::State {
        world
            .get_resource::<SharedClock>()
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "a system takes the `Clock`, but the World has no `SharedClock` \
                 (`Simulation::new` inserts one; a World of your own needs \
                 `world.insert_resource(SharedClock::new(Clock::new(dt_ms)))`)"
                )
            })
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
        Ok(state.get())
    }
}

// SAFETY: `get_param` reads nothing of the World (see the `SystemParam` impl).
unsafe impl ReadOnlySystemParam for Clock {}

/// `ms / dt_ms` as a whole number of steps, or `None` when negative, not finite or off the grid.
pub fn steps_on_grid(ms: f64, dt_ms: f64) -> Option<u64> {
    if !ms.is_finite() || ms < 0.0 || dt_ms <= 0.0 {
        return None;
    }
    let n = ms / dt_ms;
    let rounded = n.round();
    if (n - rounded).abs() <= 1e-9 * rounded.max(1.0) {
        Some(rounded as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_detection() {
        assert_eq!(steps_on_grid(1.0, 0.1), Some(10));
        assert_eq!(steps_on_grid(0.0, 0.1), Some(0));
        assert_eq!(steps_on_grid(0.15, 0.1), None);
        assert_eq!(steps_on_grid(-1.0, 0.1), None);
        assert_eq!(steps_on_grid(300.0, 0.1), Some(3000));
    }

    #[test]
    fn systems_read_the_shared_clock_as_it_is_advanced_and_set() {
        use bevy_ecs::system::{Res, ResMut, RunSystemOnce};
        #[derive(Resource, Default)]
        struct Seen(Vec<u64>);
        fn look(clock: Clock, mut seen: ResMut<Seen>) {
            seen.0.push(clock.step);
        }
        let mut world = World::new();
        let mut shared = SharedClock::new(Clock::new(0.25));
        world.insert_resource(shared.clone());
        world.init_resource::<Seen>();
        let mut system = bevy_ecs::system::IntoSystem::into_system(look);
        bevy_ecs::system::System::initialize(&mut system, &mut world);
        for _ in 0..3 {
            bevy_ecs::system::System::run(&mut system, (), &mut world).unwrap();
            shared.advance();
        }
        world.resource_mut::<SharedClock>().set(Clock {
            dt_ms: 0.25,
            step: 40,
        });
        bevy_ecs::system::System::run(&mut system, (), &mut world).unwrap();
        assert_eq!(world.resource::<Seen>().0, [0, 1, 2, 40]);
        assert_eq!(
            shared.get(),
            Clock {
                dt_ms: 0.25,
                step: 40
            }
        );
        let dt = world
            .run_system_once(|clock: Clock, _seen: Res<Seen>| clock.dt_ms)
            .unwrap();
        assert_eq!(dt, 0.25);
    }
}
