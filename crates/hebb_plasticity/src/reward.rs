//! Reward (neuromodulator) broadcast: the [`Reward`] resource, the reward sources
//! `RewardConstant` and `RewardSchedule`, and user access through [`RewardExt`].
//!
//! ## Timing
//! The [`Reward`] resource holds one value: the reward of the next `Plasticity` stage to run.
//! Reward-modulated rules read it in the `Plasticity` stage of step `s` (that is `r(s)`) and
//! keep it as their projection's recordable `reward` variable. The reward is a held value: it
//! keeps its last value until something sets another. A source attached at build time sets
//! `r(0)`; `RewardSchedule` sets the new value at each change (in the `RewardBroadcast` stage
//! of the step before, so `r(s)` is the value of the change at `s`), and `RewardConstant`
//! never changes it again. User code sets the reward between steps with
//! [`RewardExt::set_reward`]: the value holds from the next step on until it is set again or
//! a schedule's next change (like setting a variable in Brian2 or NEST). A plugin can add its
//! own source: a system in `Stage::RewardBroadcast` that calls [`Reward::set`] (for example a
//! function of this step's spikes); a source that sets the reward every step overrides
//! `set_reward` after one step. When several sources write, the last one to run wins.
//!
//! | model | parameters | reward of step `s` |
//! |---|---|---|
//! | `RewardConstant` | `value` (1, default 0) | `value` |
//! | `RewardSchedule` | `initial` (1, default 0), `changes: [(at_ms, value)]` | the value of the last change with `at_ms ≤ s·dt`, else `initial` |

use bevy_ecs::prelude::*;
use hebb_core::Real;
use hebb_core::clock::{Clock, steps_on_grid};
use hebb_core::error::{BuildError, ParamError};
use hebb_core::params::check;
use hebb_core::prelude::{Plugin, Simulation, Stage, StateVariables};
use hebb_core::registry::{AttachContext, Model, ModelKind, ParamDoc};
use serde::{Deserialize, Serialize};

/// The broadcast reward: the value the next `Plasticity` stage uses (see the module docs).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Reward {
    value: Real,
}

impl Reward {
    /// The reward of the next plasticity stage (during `Plasticity`: of the current step).
    pub fn value(&self) -> Real {
        self.value
    }

    /// Set the reward of the next plasticity stage.
    pub fn set(&mut self, value: Real) {
        self.value = value;
    }
}

/// Reward access from user code.
pub trait RewardExt {
    /// Set the reward from the next step to run on: it holds until set again or until a
    /// `RewardSchedule` change (see the module docs).
    fn set_reward(&mut self, value: Real);
    /// The reward the next step will use.
    fn reward(&self) -> Real;
}

impl RewardExt for Simulation {
    fn set_reward(&mut self, value: Real) {
        if !self.world.contains_resource::<Reward>() {
            self.world.init_resource::<Reward>();
        }
        self.world.resource_mut::<Reward>().set(value);
    }

    fn reward(&self) -> Real {
        self.world
            .get_resource::<Reward>()
            .map_or(0.0, Reward::value)
    }
}

/// When a reward-modulated rule pairs the reward with its plasticity signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RewardTiming {
    /// Inferno: the reward of step `s` multiplies the signal of step `s` (which already includes
    /// the spikes of step `s`); no `dt` factor.
    #[default]
    Inferno,
    /// Florian 2007: the reward of step `s + 1` multiplies the signal of step `s`, applied in
    /// step `s + 1`; MSTDPET's change carries the factor `dt` (ms).
    Florian,
}

/// Per-projection reward modulation of `Mstdp` and `Mstdpet`: the gain γ, the timing, and the
/// reward seen at the last plasticity stage (recordable as `reward`).
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RewardModulation {
    /// γ: the rule uses `γ·r`.
    pub gain: Real,
    /// Reward pairing.
    pub timing: RewardTiming,
    /// `[r]`: the broadcast reward of the last plasticity stage.
    pub seen: Vec<Real>,
}

impl RewardModulation {
    /// Modulation with gain γ and `timing`.
    pub fn new(gain: Real, timing: RewardTiming) -> Self {
        Self {
            gain,
            timing,
            seen: vec![0.0],
        }
    }
}

impl StateVariables for RewardModulation {
    const VARIABLES: &'static [&'static str] = &["reward"];
    fn variable(&self, name: &str) -> Option<&[Real]> {
        (name == "reward").then_some(self.seen.as_slice())
    }
}

/// A constant reward.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RewardConstant {
    /// The reward of every step (dimensionless). Default 0.
    pub value: f64,
}

impl Model for RewardConstant {
    const NAME: &'static str = "RewardConstant";
    const KIND: ModelKind = ModelKind::Reward;
    const SUMMARY: &'static str = "the same reward at every step";
    const PARAMS: &'static [ParamDoc] = &[ParamDoc {
        name: "value",
        unit: "1",
        doc: "the reward of every step",
    }];

    fn validate(&self) -> Result<(), ParamError> {
        check::finite("value", self.value)
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        attach_schedule(ctx, self.value as Real, Vec::new())
    }
}

/// One change of a piecewise-constant reward schedule.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardChange {
    /// From this time on (ms, a whole number of steps)…
    pub at_ms: f64,
    /// …the reward is this value.
    pub value: f64,
}

/// A piecewise-constant reward: `initial`, then each change from its time on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RewardSchedule {
    /// The reward before the first change. Default 0.
    pub initial: f64,
    /// Changes in increasing time order: `[(at_ms: 101.0, value: -1.0)]`.
    pub changes: Vec<RewardChange>,
}

impl Model for RewardSchedule {
    const NAME: &'static str = "RewardSchedule";
    const KIND: ModelKind = ModelKind::Reward;
    const SUMMARY: &'static str = "a piecewise-constant reward over time";
    const PARAMS: &'static [ParamDoc] = &[
        ParamDoc {
            name: "initial",
            unit: "1",
            doc: "reward before the first change",
        },
        ParamDoc {
            name: "changes",
            unit: "ms, 1",
            doc: "list of (at_ms: T, value: R): from T on the reward is R; T increasing and on the dt grid",
        },
    ];

    fn validate(&self) -> Result<(), ParamError> {
        check::finite("initial", self.initial)?;
        let mut previous = None;
        for (n, c) in self.changes.iter().enumerate() {
            check::non_negative(&format!("changes[{n}].at_ms"), c.at_ms)?;
            check::finite(&format!("changes[{n}].value"), c.value)?;
            if let Some(p) = previous
                && c.at_ms <= p
            {
                return Err(ParamError::new(
                    format!("changes[{n}].at_ms"),
                    format!(
                        "must be greater than the previous change's at_ms ({p}), got {}",
                        c.at_ms
                    ),
                ));
            }
            previous = Some(c.at_ms);
        }
        Ok(())
    }

    fn attach(&self, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
        let mut changes = Vec::with_capacity(self.changes.len());
        for (n, c) in self.changes.iter().enumerate() {
            let step = steps_on_grid(c.at_ms, ctx.dt_ms).ok_or_else(|| {
                BuildError::param(
                    format!("reward `{}`", ctx.name),
                    ParamError::new(
                        format!("changes[{n}].at_ms"),
                        format!(
                            "must be a whole number of time steps (dt = {} ms), got {}",
                            ctx.dt_ms, c.at_ms
                        ),
                    ),
                )
            })?;
            changes.push((step, c.value as Real));
        }
        attach_schedule(ctx, self.initial as Real, changes)
    }
}

/// The compiled schedule of a reward source: `initial`, then `(step, value)` changes.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct RewardScheduleState {
    /// Reward before the first change.
    pub initial: Real,
    /// Steps of the changes, increasing.
    pub steps: Vec<u64>,
    /// Values of the changes.
    pub values: Vec<Real>,
}

impl RewardScheduleState {
    /// The reward of `step`.
    pub fn value_at(&self, step: u64) -> Real {
        match self.steps.partition_point(|&s| s <= step) {
            0 => self.initial,
            k => self.values[k - 1],
        }
    }
}

fn attach_schedule(
    ctx: &mut AttachContext<'_>,
    initial: Real,
    changes: Vec<(u64, Real)>,
) -> Result<(), BuildError> {
    let state = RewardScheduleState {
        initial,
        steps: changes.iter().map(|c| c.0).collect(),
        values: changes.iter().map(|c| c.1).collect(),
    };
    let step = ctx
        .world
        .resource::<hebb_core::clock::SharedClock>()
        .get()
        .step;
    let now = state.value_at(step);
    if !ctx.world.contains_resource::<Reward>() {
        ctx.world.init_resource::<Reward>();
    }
    ctx.world.resource_mut::<Reward>().set(now);
    ctx.entity_mut().insert(state);
    Ok(())
}

/// `RewardBroadcast` system: a schedule with a change at the next step sets the reward to it;
/// otherwise the reward holds (a value set by user code included).
pub fn broadcast_scheduled_reward(
    clock: Clock,
    schedules: Query<&RewardScheduleState>,
    mut reward: ResMut<Reward>,
) {
    let next = clock.step + 1;
    for schedule in &schedules {
        if schedule.steps.binary_search(&next).is_ok() {
            reward.set(schedule.value_at(next));
        }
    }
}

/// The reward resource and the reward sources `RewardConstant` and `RewardSchedule`.
pub struct RewardPlugin;

impl Plugin for RewardPlugin {
    fn build(&self, sim: &mut Simulation) {
        if !sim.world.contains_resource::<Reward>() {
            sim.world.init_resource::<Reward>();
        }
        sim.register_model::<RewardConstant>()
            .register_model::<RewardSchedule>()
            .register_variables::<RewardModulation>()
            .register_snapshot::<RewardModulation>()
            .register_snapshot_resource::<Reward>();
        sim.add_systems_for_kinds(
            &[ModelKind::Reward],
            Stage::RewardBroadcast,
            broadcast_scheduled_reward,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_values_by_step() {
        let s = RewardScheduleState {
            initial: 1.0,
            steps: vec![101, 150],
            values: vec![-1.0, 0.5],
        };
        assert_eq!(s.value_at(0), 1.0);
        assert_eq!(s.value_at(100), 1.0);
        assert_eq!(s.value_at(101), -1.0);
        assert_eq!(s.value_at(149), -1.0);
        assert_eq!(s.value_at(10_000), 0.5);
    }

    /// The reward after each of `steps` broadcasts (steps 0, 1, …), with `set` applied as user
    /// code would between steps: `(before step, value)`.
    fn broadcast(schedule: RewardScheduleState, steps: u64, set: &[(u64, Real)]) -> Vec<Real> {
        use bevy_ecs::system::RunSystemOnce;
        let mut world = World::new();
        world.insert_resource(hebb_core::clock::SharedClock::new(Clock::new(0.1)));
        world.insert_resource(Reward {
            value: schedule.value_at(0),
        });
        world.spawn(schedule);
        let mut seen = Vec::new();
        for step in 0..steps {
            if let Some(&(_, v)) = set.iter().find(|(s, _)| *s == step) {
                world.resource_mut::<Reward>().set(v);
            }
            // What the plasticity of this step reads.
            seen.push(world.resource::<Reward>().value());
            world
                .resource_mut::<hebb_core::clock::SharedClock>()
                .set(Clock { dt_ms: 0.1, step });
            world.run_system_once(broadcast_scheduled_reward).unwrap();
        }
        seen
    }

    #[test]
    fn a_set_reward_holds_until_set_again_or_a_scheduled_change() {
        let constant = RewardScheduleState {
            initial: 0.0,
            steps: vec![],
            values: vec![],
        };
        assert_eq!(
            broadcast(constant, 6, &[(2, 1.0), (4, -0.5)]),
            [0.0, 0.0, 1.0, 1.0, -0.5, -0.5]
        );
        let schedule = RewardScheduleState {
            initial: 0.0,
            steps: vec![3, 5],
            values: vec![2.0, 3.0],
        };
        // The user's 1.0 holds until the change at step 3; the schedule's 2.0 holds until the
        // user's -1.0 at step 4; the change at step 5 wins again.
        assert_eq!(
            broadcast(schedule.clone(), 7, &[(1, 1.0), (4, -1.0)]),
            [0.0, 1.0, 1.0, 2.0, -1.0, 3.0, 3.0]
        );
        // Without user code: exactly the schedule.
        let alone = broadcast(schedule.clone(), 7, &[]);
        let expected: Vec<Real> = (0..7).map(|s| schedule.value_at(s)).collect();
        assert_eq!(alone, expected);
    }

    #[test]
    fn validation_names_fields() {
        let bad = RewardSchedule {
            initial: 0.0,
            changes: vec![
                RewardChange {
                    at_ms: 5.0,
                    value: 1.0,
                },
                RewardChange {
                    at_ms: 5.0,
                    value: 2.0,
                },
            ],
        };
        assert_eq!(
            Model::validate(&bad).unwrap_err().to_string(),
            "changes[1].at_ms must be greater than the previous change's at_ms (5), got 5"
        );
        let bad = RewardSchedule {
            initial: 0.0,
            changes: vec![RewardChange {
                at_ms: -1.0,
                value: 1.0,
            }],
        };
        assert!(
            Model::validate(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("changes[0].at_ms")
        );
        let bad = RewardConstant {
            value: f64::INFINITY,
        };
        assert!(
            Model::validate(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("value")
        );
    }
}
